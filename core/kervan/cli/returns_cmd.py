"""``kervan returns``: the returns desk's approval queue, one claim, and a claims sync, from a
shell on the server.

Each command opens the installation's store (``KERVAN_STORE_URL`` / ``KERVAN_HOME``) like
``kervan serve`` does and acts on one tenant (``--tenant`` or ``KERVAN_TENANT``). Reading
the queue and a claim changes nothing; a sync calls the marketplace from this process (what
``POST /v1/returns/sync`` does). Receiving, deciding and recording documents are the desk's
work, done through the API (``docs/api.md``, "Returns").
"""

from __future__ import annotations

import json
from typing import Any

import typer

from ..claims import ClaimRecord, ClaimState
from ..errors import KervanError

returns = typer.Typer(
    help="Returns: the approval queue, one claim with its timeline, and a claims sync.",
    no_args_is_help=True,
)

TENANT = typer.Option(..., "--tenant", "-t", envvar="KERVAN_TENANT", help="The tenant's id.")


def _open_runtime() -> Any:
    from ..runtime import Runtime

    return Runtime.create()


def _print(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def _line(rec: ClaimRecord) -> str:
    c = rec.claim
    deadline = f"respond by {c.respond_by:%Y-%m-%d %H:%M} UTC" if c.respond_by else "no deadline"
    reasons = sorted({ln.reason.name for ln in c.lines})
    notes = sorted({ln.customer_note for ln in c.lines if ln.customer_note})
    out = (
        f"{rec.key}  {rec.state.value}  order {c.order_number}  {len(c.lines)} item(s)  "
        f"{deadline}\n    reason: {', '.join(reasons)}"
    )
    if notes:
        out += f"; note: {' / '.join(notes)}"
    for warning in rec.warnings:
        out += f"\n    ! {warning.get('message', '')}"
    return out


@returns.command("queue")
def queue(
    tenant: str = TENANT,
    state: list[ClaimState] | None = typer.Option(
        None, help="states to list (repeat it; default requested and received)"
    ),
    limit: int = typer.Option(200, min=1, max=500),
    as_json: bool = typer.Option(False, "--json", help="JSON records instead of lines"),
) -> None:
    """The approval queue: open claims, the marketplace's nearest deadline first."""
    rt = _open_runtime()
    try:
        recs = rt.returns.queue(tenant, state or None, limit=limit)
    finally:
        rt.close()
    if as_json:
        _print([r.model_dump(mode="json", exclude={"timeline"}) for r in recs])
        return
    if not recs:
        typer.echo(f"no open claims for tenant {tenant}")
        return
    for rec in recs:
        typer.echo(_line(rec))


@returns.command("show")
def show(claim: str, tenant: str = TENANT) -> None:
    """One claim (CLAIM: connection:claim id) with its receipt, decisions, document and
    timeline, as JSON."""
    rt = _open_runtime()
    try:
        rec = rt.returns.get(tenant, claim)
    except KervanError as exc:
        raise typer.BadParameter(exc.message) from None
    finally:
        rt.close()
    _print(rec.model_dump(mode="json"))


@returns.command("sync")
def sync(connection: str, tenant: str = TENANT) -> None:
    """Read CONNECTION's claims now: new ones join the queue, a return Kervan opened is
    matched to its claim, known ones take the marketplace's statuses. Prints what changed."""
    rt = _open_runtime()
    try:
        rt.connections.require(tenant, connection)
        result = rt.loop.run(rt.returns.sync(tenant, connection))
    except KervanError as exc:
        raise typer.BadParameter(exc.message) from None
    finally:
        rt.close()
    _print(
        {
            "connection_id": connection,
            "new": result.new,
            "changed": result.changed,
            "matched": result.matched,
            "problems": result.problems,
        }
    )


def register(app: typer.Typer) -> None:
    app.add_typer(returns, name="returns")
