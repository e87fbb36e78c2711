"""``kervan demo``: the whole flow on the embedded default, against the sandboxes."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

import typer
from kervan import create_app, kervan_home
from kervan.domain import SplitRules
from kervan.reports import Summary
from rich.console import Console
from rich.table import Table

from .run import Demo, DemoOptions

#: the demo seller's parcel limit (desi or kg): the order with five 5 kg bags of flour is split
DEMO_PARCEL_LIMIT = 20.0


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
    for h in s.held:
        console.print(f"[yellow]on hold[/] {h['order']}: {h['reason']}")
    for f in s.failures:
        console.print(f"[red]failure[/] {f}")
    if not s.failures:
        console.print("[green]failures: none[/]")


def demo(
    exit_: bool = typer.Option(False, "--exit", help="Stop after the summary."),
    export: Path | None = typer.Option(
        None, "--export", help="Write documents, labels and summary.json here."
    ),
    orders: Path | None = typer.Option(
        None,
        "--orders",
        exists=True,
        dir_okay=False,
        help="Seed the Trendyol sandbox from a file in Trendyol's package JSON format.",
    ),
    port: int = typer.Option(8040, "--port", help="Port for the API after the run."),
    max_parcel_desi: float = typer.Option(
        DEMO_PARCEL_LIMIT,
        "--max-parcel-desi",
        min=0,
        help="The demo seller's parcel limit (split rules); 0 turns splitting off.",
    ),
) -> None:
    """Run the whole order-to-cash flow against the first-party sandboxes."""
    console = Console()
    home = kervan_home() / "demo"
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
        console.print(f"\nflow finished in {time.perf_counter() - started:.1f} s (store {home})\n")
        _print_summary(console, summary)
        if export is not None:
            console.print(f"exported to {export}")
        if exit_:
            return
        _serve_api(console, runtime, run.api_key or "", port)
    finally:
        run.stop()


def _serve_api(console: Console, runtime, api_key: str, port: int) -> None:
    import uvicorn

    console.print(f"\nAPI: http://127.0.0.1:{port}/v1  (docs: http://127.0.0.1:{port}/docs)")
    console.print(f"demo API key (tenant 'demo'): {api_key}")
    console.print("Ctrl-C to stop.")
    uvicorn.run(create_app(runtime), host="127.0.0.1", port=port, log_level="warning")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
