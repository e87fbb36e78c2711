"""The ``kervan`` command line. Sub-commands live in sibling modules, one per concern."""

from __future__ import annotations

import importlib
import logging
import sys

import typer

from .. import __version__

app = typer.Typer(
    name="kervan",
    help="Kervan: order-to-cash integration hub for e-commerce sellers in Turkey.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals may hold secrets
)

# sub-command modules; each exposes ``register(app)``
_COMMAND_MODULES = (
    "kervan.cli.plugins_cmd",
    "kervan.cli.serve_cmd",
    "kervan.cli.admin_cmd",
    "kervan.cli.secrets_cmd",
    "kervan.cli.problems_cmd",
    "kervan.cli.catalog_cmd",
    "kervan.cli.returns_cmd",
)
# the SDK adds `kervan plugin new` and `kervan sandbox run` when it is installed
_OPTIONAL_MODULES = ("kervan_sdk.cli",)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"kervan {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log at DEBUG level."),
) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def _load_commands() -> None:
    for name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.register(app)
    for name in _OPTIONAL_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError:
            continue
        module.register(app)


_load_commands()


def _plugin_commands(argv: list[str]) -> None:
    """Let plugins add commands (``register_commands`` hook), but only when the command asked
    for is not a core one, or for the command list (``kervan``, ``kervan --help``): importing
    every plugin would slow down ``kervan --version`` and the core commands."""
    first = next((a for a in argv[1:] if not a.startswith("-")), None)
    known = {c.name for c in app.registered_commands} | {g.name for g in app.registered_groups}
    if first in known or (first is None and "--version" in argv):
        return
    from ..plugins import get_host

    get_host(strict=False).hooks.register_commands(app)


def main() -> None:
    _plugin_commands(sys.argv)
    app()
