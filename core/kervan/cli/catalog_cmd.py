"""``kervan catalog``: product cards, listings and stock pushes from a shell on the server.

Each command opens the installation's store (``KERVAN_STORE_URL`` / ``KERVAN_HOME``) like
``kervan serve`` does and acts on one tenant (``--tenant`` or ``KERVAN_TENANT``). Imports and
pushes call the channel from this process; a running ``kervan serve`` sees what they wrote
at once (the store is the truth).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from pydantic import ValidationError

from ..errors import KervanError
from ..pricing import PricingRule

catalog = typer.Typer(
    help="Product cards, channel listings and stock pushes: import a channel's listings, "
    "count stock, push now, see why a channel shows a number, preview prices.",
    no_args_is_help=True,
)

TENANT = typer.Option(..., "--tenant", "-t", envvar="KERVAN_TENANT", help="The tenant's id.")


def _open_runtime() -> Any:
    from ..runtime import Runtime

    return Runtime.create()


def _print(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


@catalog.command("import")
def import_listings(connection: str, tenant: str = TENANT) -> None:
    """Read every listing of CONNECTION onto its card (by barcode; a new card when no card
    has it) and print what happened."""
    rt = _open_runtime()
    try:
        rt.connections.require(tenant, connection)
        report = rt.loop.run(rt.catalog.import_listings(tenant, connection, "cli"))
    except KervanError as exc:
        raise typer.BadParameter(exc.message) from None
    finally:
        rt.close()
    _print({"connection_id": connection, **report.as_dict()})


@catalog.command("push")
def push(tenant: str = TENANT) -> None:
    """Push every due product's figure (and price) to every listing now; print the run."""
    rt = _open_runtime()
    try:
        report = rt.loop.run(rt.catalog.push(tenant))
    except KervanError as exc:
        raise typer.BadParameter(exc.message) from None
    finally:
        rt.close()
    _print(report.as_dict())
    if report.failed:
        typer.echo(
            f"{report.failed} item(s) failed; they are retried ('kervan catalog why KEY')",
            err=True,
        )
        raise typer.Exit(1)


@catalog.command("cards")
def cards(
    tenant: str = TENANT,
    limit: int = typer.Option(100, min=1, max=500),
    offset: int = typer.Option(0, min=0),
    as_json: bool = typer.Option(False, "--json", help="JSON rows instead of a table"),
) -> None:
    """Product cards by stock code with their stock figures."""
    rt = _open_runtime()
    try:
        rows = rt.catalog.cards(tenant, limit=limit, offset=offset)
    finally:
        rt.close()
    if as_json:
        _print(rows)
        return
    if not rows:
        typer.echo(f"no product cards for tenant {tenant}")
        return
    for row in rows:
        card, stock = row["card"], row["stock"]
        merged = f"  (merged into {card['merged_into']})" if card.get("merged_into") else ""
        typer.echo(
            f"{card['id']}  {card['sku']}  {card['name']}{merged}\n"
            f"    on hand {stock['on_hand']}, reserved {stock['reserved']}, safety "
            f"{stock['safety']}, available {stock['available']}; "
            f"barcodes {', '.join(card['barcodes'])}"
        )


@catalog.command("why")
def why(listing_key: str, tenant: str = TENANT) -> None:
    """Why the channel shows its number for LISTING_KEY (connection:barcode): the last push,
    the ledger figures, buffer and cap, the channel's answer and what would be sent now."""
    rt = _open_runtime()
    try:
        found = rt.catalog.explain(tenant, listing_key)
    except KervanError as exc:
        raise typer.BadParameter(exc.message) from None
    finally:
        rt.close()
    _print(found)


@catalog.command("count")
def count(
    product: str,
    on_hand: int = typer.Argument(..., min=0, help="units counted on the shelf"),
    tenant: str = TENANT,
    warehouse: str = typer.Option("main", help="the warehouse counted"),
    note: str | None = typer.Option(None, help="kept on the movement"),
) -> None:
    """Record a count of PRODUCT: on hand in the warehouse becomes ON_HAND. Orders held for
    stock that now fit are due again (a running ``kervan serve`` takes them)."""
    rt = _open_runtime()
    try:
        out = rt.catalog.count(tenant, product, on_hand, "cli", warehouse=warehouse, note=note)
    except KervanError as exc:
        raise typer.BadParameter(exc.message) from None
    finally:
        rt.close()
    _print(out)


@catalog.command("preview")
def preview(
    connection: str,
    tenant: str = TENANT,
    rule: Path | None = typer.Option(
        None,
        exists=True,
        dir_okay=False,
        help="a pricing rule as JSON (docs/pricing.md); default: the channel's own",
    ),
) -> None:
    """What each listing of CONNECTION would cost under the rule, step by step (nothing is
    saved or sent)."""
    parsed: PricingRule | None = None
    if rule is not None:
        try:
            parsed = PricingRule.model_validate_json(rule.read_bytes())
        except ValidationError as exc:
            wrong = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'rule'}: {e['msg']}" for e in exc.errors()
            )
            raise typer.BadParameter(f"{rule} is not a valid pricing rule: {wrong}") from None
    rt = _open_runtime()
    try:
        rt.connections.require(tenant, connection)
        quotes = rt.catalog.preview_prices(tenant, connection, parsed)
    except KervanError as exc:
        raise typer.BadParameter(exc.message) from None
    finally:
        rt.close()
    _print(quotes)


def register(app: typer.Typer) -> None:
    app.add_typer(catalog, name="catalog")
