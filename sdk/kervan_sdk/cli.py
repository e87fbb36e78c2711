"""The SDK's commands on the ``kervan`` CLI: ``kervan sandbox run`` and ``kervan plugin new``.

The core imports this module when kervan-sdk is installed and calls :func:`register`.
"""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path
from typing import Any

import typer
from kervan import Connector
from kervan.errors import KervanError

from .sandbox import Sandbox, WallClock
from .scaffold import ROLE_ALIASES, ROLES, ScaffoldError, make_spec, write_plugin

sandbox_app = typer.Typer(help="Run plugins' stand-in remotes (sandboxes).", no_args_is_help=True)
plugin_app = typer.Typer(help="Write Kervan plugins.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add ``kervan sandbox ...`` and ``kervan plugin ...`` to the root CLI."""
    app.add_typer(sandbox_app, name="sandbox")
    app.add_typer(plugin_app, name="plugin")


# -- sandboxes ---------------------------------------------------------------------------------


def find_connector(key: str) -> type[Connector]:
    """The installed connector class with this key (through the core's plugin host)."""
    from kervan.plugins import get_host

    return get_host(strict=False).connector(key)


def _import(path: str) -> Any:
    module_name, _, attr = path.partition(":")
    return getattr(importlib.import_module(module_name), attr)


def build_sandbox(connector_class: type[Connector], *, seed: int = 0, orders: int = 0) -> Any:
    """The ASGI app to serve for a connector's sandbox (a ``Sandbox`` on the wall clock).

    ``connector_class.sandbox`` may name a :class:`Sandbox` subclass (the usual case), a
    factory returning a Sandbox or an ASGI app, or an ASGI app. ``orders`` seeds that many
    generated orders (order sources).
    """
    if not connector_class.sandbox:
        raise KervanError(f"{connector_class.key} ships no sandbox")
    found = _import(connector_class.sandbox)
    if isinstance(found, type) and issubclass(found, Sandbox):
        found = found(clock=WallClock(), seed=seed)
    elif inspect.isfunction(found):
        found = found()
    if isinstance(found, Sandbox):
        if orders:
            from .testing.factories import make_orders, make_scenario

            made = make_orders(orders, source=connector_class.key, now=found.clock.now(), seed=seed)
            found.seed_scenario(make_scenario(made, seed=seed))
        return found.asgi
    return found


@sandbox_app.command("run")
def run_sandbox(
    name: str = typer.Argument(..., help="The connector key, e.g. trendyol."),
    port: int = typer.Option(8765, "--port", "-p", help="Port to listen on."),
    host: str = typer.Option(
        "127.0.0.1", "--host", help="Interface to bind (loopback by default)."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed for the sandbox's random state."),
    orders: int = typer.Option(0, "--orders", help="Seed this many generated orders."),
) -> None:
    """Serve an installed plugin's sandbox on HTTP until interrupted."""
    import uvicorn

    try:
        app = build_sandbox(find_connector(name), seed=seed, orders=orders)
    except KervanError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"{name} sandbox on http://{host}:{port}  (Ctrl-C to stop)")
    uvicorn.run(app, host=host, port=port, log_level="info", lifespan="off")


@sandbox_app.command("list")
def list_sandboxes() -> None:
    """List installed connectors that ship a sandbox."""
    from kervan.plugins import get_host

    for key, cls in sorted(get_host(strict=False).connectors().items()):
        if cls.sandbox:
            typer.echo(f"{key}\t{cls.sandbox}")


# -- plugins ----------------------------------------------------------------------------------


@plugin_app.command("new")
def new_plugin(
    name: str = typer.Argument(..., help="The plugin's key, a lowercase slug: acme, acme-cargo."),
    role: list[str] = typer.Option(
        ...,
        "--role",
        "-r",
        help=f"A role it plays (repeat for several): {', '.join([*ROLES, *ROLE_ALIASES])}.",
    ),
    directory: Path = typer.Option(
        Path("."), "--dir", help="Where to create the kervan-NAME/ folder."
    ),
    display_name: str | None = typer.Option(None, "--display-name", help="Name shown to people."),
    force: bool = typer.Option(False, "--force", help="Write into a non-empty folder."),
) -> None:
    """Generate a plugin distribution that installs and passes the contract kit as is."""
    try:
        spec = make_spec(name, role, display_name)
        target = directory / spec.dist
        written = write_plugin(spec, target, force=force)
    except ScaffoldError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"created {spec.dist} ({', '.join(spec.roles)}) in {target}:")
    for path in written:
        typer.echo(f"  {path.relative_to(target)}")
    typer.echo(
        f"\nnext:\n  cd {target}\n  pip install -e .\n  pytest\n"
        f"  kervan sandbox run {spec.connector_key} --orders 20"
    )
