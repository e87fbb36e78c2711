"""``kervan demo``: the whole flow on the embedded default, against the sandboxes.

Each run keeps its own store in ``$KERVAN_HOME/demo/<run id>`` (see :mod:`.rundirs`), so two
demos never invalidate each other's API keys, and prints the ``KERVAN_HOME`` that reaches it.
Bad input (``--orders``, a busy ``--port``) ends with exit code 2 and one line on stderr; no
traceback unless ``--debug``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import time
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from kervan import kervan_home
from kervan.domain import SplitRules
from kervan.reports import Summary
from rich.console import Console
from rich.table import Table

from . import rundirs
from .orders_file import OrdersFileError, read_packages
from .run import Demo, DemoOptions

if TYPE_CHECKING:
    from kervan import Runtime

#: the demo seller's parcel limit (desi or kg): the order with five 5 kg bags of flour is split
DEMO_PARCEL_LIMIT = 20.0
#: the API's port when --port is not given, or the first free one after it
DEFAULT_PORT = 8040
PORT_TRIES = 10
#: print as is: paths and keys are copied from here, so no markup, colour or wrapping
PLAIN: dict[str, Any] = {"soft_wrap": True, "markup": False, "highlight": False}


def _print_summary(console: Console, s: Summary) -> None:
    t = Table(title=f"{s.orders} orders", show_header=True)
    t.add_column("state")
    t.add_column("orders", justify="right")
    for state, n in sorted(s.orders_by_state.items()):
        t.add_row(state, str(n))
    console.print(t)
    d = Table(title="documents", show_header=True)
    for col in ("number", "kind", "profile", "status", "buyer", "total"):
        d.add_column(col)
    for inv in s.invoices:
        d.add_row(
            inv["number"], inv["kind"], inv["profile"], inv["status"], inv["buyer"], inv["total"]
        )
    console.print(d)
    console.print(f"documents by kind: {s.documents_by_kind}   by status: {s.documents_by_status}")
    console.print(
        f"labels: {s.labels}   shipments: {s.shipments_by_status}   "
        f"cancellations: {s.cancellations}   split packages: {s.splits}"
    )
    c = s.catalog
    if c:
        console.print(
            f"catalog: {c['cards']} cards ({c['merged_cards']} merged in), {c['listings']} "
            f"listings on {c['channels']} channels; pushed {c['listings_pushed']}, "
            f"failed {c['push_failures']}, flagged {c['flagged']}, waiting {c['waiting_push']}"
        )
    _print_erp(console, s)
    f = s.floor
    if f:
        console.print(
            f"floor: {len(f['pick_lists'])} pick lists, {f['scans']} scans, "
            f"{len(f['orders_packed'])} orders packed; scan outcomes {f['outcomes']}"
        )
        for who, row in f.get("staff_report", {}).get("staff", {}).items():
            console.print(
                f"  {who} ({row['role']}): {row['orders']} orders, {row['lines']} lines, "
                f"{row['items']} items, {row['items_per_hour']} items/h, "
                f"performance {row['performance']} (mix-adjusted)",
                **PLAIN,
            )
    r = s.returns
    if r.get("claims") or r.get("part_shipments"):
        console.print(
            f"returns: {r['claims']} by outcome {r['by_outcome']}; documents {r['by_document']}; "
            f"part shipments {r['part_shipments']}"
        )
    for h in s.held:
        console.print(f"[yellow]on hold[/] {h['order']}: {h['reason']}")
    for f in s.failures:
        console.print(f"[red]failure[/] {f}")
    if not s.failures:
        console.print("[green]failures: none[/]")
    if s.problems:
        console.print(
            f"[yellow]problems: {len(s.problems)}[/] remote records could not be mapped and are "
            "kept for a person (kervan problems list demo; GET /v1/problems)"
        )
        for p in s.problems:
            console.print(f"  {p['id']}: {p['reason']}", **PLAIN)
    else:
        console.print("problems: none")


def _print_erp(console: Console, s: Summary) -> None:
    """ERP postings by kind (summary.json's ``erp``)."""
    if any(s.erp.values()):
        console.print("ERP postings: " + ", ".join(f"{k} {n}" for k, n in s.erp.items() if n))


def demo(
    exit_: bool = typer.Option(False, "--exit", help="Stop after the summary."),
    export: Path | None = typer.Option(
        None, "--export", help="Write documents, labels and summary.json here."
    ),
    orders: Path | None = typer.Option(
        None,
        "--orders",
        help="Seed the Trendyol sandbox from a file in Trendyol's package JSON format "
        "(a list of packages or a getShipmentPackages page).",
    ),
    port: int | None = typer.Option(
        None,
        "--port",
        min=0,
        max=65535,
        help=f"Port for the API after the run [default: {DEFAULT_PORT}, or the next free one "
        "when another demo has it].",
        show_default=False,
    ),
    max_parcel_desi: float = typer.Option(
        DEMO_PARCEL_LIMIT,
        "--max-parcel-desi",
        min=0,
        help="The demo seller's parcel limit (split rules); 0 turns splitting off.",
    ),
    debug: bool = typer.Option(False, "--debug", help="Show Python tracebacks for errors."),
) -> None:
    """Run the whole order-to-cash flow against the first-party sandboxes."""
    try:
        if orders is not None:
            read_packages(orders)  # every fault of the file, before anything starts
        listener = None if exit_ else _listen(port)
    except (OrdersFileError, PortInUseError) as exc:
        if debug:
            raise
        prefix = "--orders " if isinstance(exc, OrdersFileError) else ""
        _fail(f"{prefix}{exc}")
    run_dir = rundirs.claim(kervan_home() / "demo")
    try:
        _run(run_dir.path, orders, export, listener, max_parcel_desi)
    finally:
        run_dir.release()
        if listener is not None:
            listener.close()


def _run(
    home: Path,
    orders: Path | None,
    export: Path | None,
    listener: socket.socket | None,
    max_parcel_desi: float,
) -> None:
    # the whole run lives in its directory: the store and the key that seals its secrets, so
    # `KERVAN_HOME=<it> kervan admin ...` reaches exactly this demo
    os.environ["KERVAN_HOME"] = str(home)
    console = Console()
    run = Demo(
        DemoOptions(
            home=home,
            orders_file=orders,
            export_dir=export,
            split_rules=SplitRules(max_parcel_desi=Decimal(str(max_parcel_desi)))
            if max_parcel_desi
            else None,
        ),
        lambda msg: console.print(f"[bold cyan]›[/] {msg}"),
    )
    started = time.perf_counter()
    try:
        runtime = run.start()
        run.seed()
        run.flow()
        summary = run.finish()
        console.print(f"\nflow finished in {time.perf_counter() - started:.1f} s\n")
        _print_summary(console, summary)
        if export is not None:
            console.print(f"exported to {export}")
        _print_home(console, home)
        if listener is not None:
            _serve_api(console, runtime, run.api_key or "", listener)
            console.print(f"demo stopped; its store stays in {home}", **PLAIN)
    finally:
        run.stop()


def _print_home(console: Console, home: Path) -> None:
    unset = "env -u KERVAN_STORE_URL " if os.environ.get("KERVAN_STORE_URL") else ""
    console.print(f"\nthis demo's store (each demo run has its own): {home}", **PLAIN)
    console.print(f"to reach it from another shell, use KERVAN_HOME={home}", **PLAIN)
    console.print(
        f"  e.g. a platform-admin key: {unset}KERVAN_HOME={home} kervan admin create-key", **PLAIN
    )


class PortInUseError(Exception):
    """The API's port is taken."""


def _listen(port: int | None) -> socket.socket:
    """A socket bound for the API now, so the port is ours before the flow starts: the one
    asked for, else the default or, when another demo has it, the next free one."""
    candidates = (
        [port] if port is not None else [*range(DEFAULT_PORT, DEFAULT_PORT + PORT_TRIES), 0]
    )
    for candidate in candidates:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", candidate))
        except OSError as exc:
            sock.close()
            if port is not None:
                raise PortInUseError(
                    f"--port {port}: 127.0.0.1:{port} is in use ({exc.strerror}); "
                    "pick another or leave --port out",
                ) from exc
            continue
        sock.listen(128)
        return sock
    raise PortInUseError("no free port for the API on 127.0.0.1")


def _serve_api(console: Console, runtime: Runtime, api_key: str, listener: socket.socket) -> None:
    import uvicorn
    from kervan import create_app

    port = listener.getsockname()[1]
    console.print(
        f"\nAPI: http://127.0.0.1:{port}/v1  (docs: http://127.0.0.1:{port}/docs)", **PLAIN
    )
    console.print(f"demo API key (tenant 'demo'): {api_key}", **PLAIN)
    console.print("Ctrl-C to stop.")
    config = uvicorn.Config(create_app(runtime), log_level="warning")
    # uvicorn stops on SIGINT/SIGTERM, then raises the signal again: make both an interrupt
    # we catch, so the demo shuts its runtime and sandboxes down and exits 0
    signal.signal(signal.SIGTERM, _interrupt)
    with contextlib.suppress(KeyboardInterrupt):
        uvicorn.Server(config).run(sockets=[listener])


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _fail(message: str) -> NoReturn:
    typer.echo(f"kervan demo: {message}", err=True)
    raise typer.Exit(2)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
