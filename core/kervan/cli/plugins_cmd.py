"""``kervan plugins``: what plugins are installed, and whether each one loaded.

The table (or ``--json`` array) is the load report; under ``KERVAN_STRICT_PLUGINS=1`` (or
``--strict``) any plugin that is not ``loaded`` makes the command exit 1 after printing,
naming it on stderr.
"""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from ..plugins import PluginHost, get_host, strict_from_env

_STATUS_STYLE = {"loaded": "green", "incompatible": "yellow", "failed": "red"}


def plugins(
    as_json: bool = typer.Option(False, "--json", help="Print the load report as a JSON array."),
    strict: bool | None = typer.Option(
        None,
        "--strict/--no-strict",
        help="Exit non-zero if any plugin did not load (default: KERVAN_STRICT_PLUGINS).",
        show_default=False,
    ),
) -> None:
    """List installed plugins: distribution, version, roles, connectors and load status."""
    host = get_host(strict=False)
    if as_json:
        typer.echo(json.dumps([r.model_dump(mode="json") for r in host.report], indent=2))
    else:
        _print_table(host)
    if strict_from_env() if strict is None else strict:
        culprits = [f"plugin {r.culprit()}" for r in host.failures] + host.notes
        for line in culprits:
            typer.echo(f"error: {line}", err=True)
        if culprits:
            raise typer.Exit(1)


def _print_table(host: PluginHost) -> None:
    table = Table(title="Kervan plugins")
    for column in (
        "plugin",
        "distribution",
        "version",
        "roles",
        "connectors",
        "requires core",
        "status",
    ):
        table.add_column(column)
    for r in host.report:
        style = _STATUS_STYLE[r.status]
        status = f"[{style}]{r.status}[/{style}]" + (f"\n{r.error}" if r.error else "")
        table.add_row(
            r.name,
            r.distribution or "-",
            r.version or "-",
            ", ".join(r.roles) or "-",
            ", ".join(r.connectors) or "-",
            r.requires_core or "-",
            status,
        )
    console = Console(soft_wrap=False)
    console.print(table)
    if not host.report:
        console.print("no plugins loaded (entry point group kervan.plugins)")
    for skipped in host.skipped:
        console.print(f"skipped {skipped.name} ({skipped.distribution or '?'}): {skipped.reason}")
    for note in host.notes:
        console.print(f"[yellow]note:[/yellow] {note}")


def register(app: typer.Typer) -> None:
    """Add ``kervan plugins`` to the CLI."""
    app.command("plugins")(plugins)
