"""``kervan problems``: remote records a connector could not map (list, show, replay)."""

from __future__ import annotations

import json

import typer

from ..engine import quarantine
from ..errors import KervanError
from ..problems import RecordKind
from ..store import open_store

problems = typer.Typer(
    help="Remote records kept in quarantine because they could not be mapped: list, show, "
    "replay after a fix."
)


@problems.command("list")
def list_problems(
    tenant: str,
    status: str = typer.Option("open", help="open, resolved or all"),
    connection: str | None = typer.Option(None, help="only this connection"),
    kind: RecordKind | None = typer.Option(None, help="order, claim or listing"),
    limit: int = typer.Option(100, min=1, max=500),
    as_json: bool = typer.Option(False, "--json", help="JSON rows instead of a table"),
) -> None:
    """Quarantined records, the most recently seen first."""
    if status not in ("open", "resolved", "all"):
        raise typer.BadParameter("status is open, resolved or all")
    store = open_store()
    try:
        found = quarantine.listing(
            store.tenant(tenant),
            status=None if status == "all" else status,
            connection_id=connection,
            kind=kind,
            limit=limit,
        )
    finally:
        store.close()
    if as_json:
        rows = [p.model_dump(mode="json", exclude={"raw"}) for p in found]
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not found:
        typer.echo(f"no {'' if status == 'all' else status + ' '}problems for tenant {tenant}")
        return
    for p in found:
        typer.echo(
            f"{p.id}  {p.status}  seen {p.times_seen}x, last {p.last_seen:%Y-%m-%d %H:%M} UTC"
            f"  ({p.via})\n    {p.reason}"
        )


@problems.command("show")
def show_problem(tenant: str, problem_id: str) -> None:
    """One problem with the record as the remote sent it (JSON)."""
    store = open_store()
    try:
        found = quarantine.get(store.tenant(tenant), problem_id)
    finally:
        store.close()
    if found is None:
        raise typer.BadParameter(f"no problem {problem_id} for tenant {tenant}")
    typer.echo(json.dumps(found.model_dump(mode="json"), indent=2, ensure_ascii=False))


@problems.command("replay")
def replay_problem(tenant: str, problem_id: str) -> None:
    """Map the kept record again through its connection (after a fix). When it maps it is
    stored as a poll would store it and is due for work at once (a running ``kervan serve``
    picks it up); when it still does not, the problem stays open with the new reason."""
    from ..engine.replay import replay
    from ..runtime import Runtime

    runtime = Runtime.create()
    try:
        outcome = runtime.loop.run(replay(runtime.engine, tenant, problem_id, "cli"))
        runtime.connections.record_problems(tenant, outcome.connection_id, outcome.open_problems)
    except KervanError as exc:
        raise typer.BadParameter(exc.message) from None
    finally:
        runtime.close()
    if not outcome.resolved:
        typer.echo(f"{problem_id} still does not map: {outcome.reason}", err=True)
        raise typer.Exit(1)
    typer.echo(f"{problem_id} resolved: {', '.join(outcome.result_ids)} stored and due for work")


def register(app: typer.Typer) -> None:
    app.add_typer(problems, name="problems")
