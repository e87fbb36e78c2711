"""``kervan serve`` (API + scheduler + embedded worker), ``kervan worker``, dead letters.

``kervan serve --processes N`` (or ``KERVAN_PROCESSES``) runs the jobs' engine work in N
engine processes behind the embedded broker (docs/operations.md, "Cores")."""

from __future__ import annotations

import json
import signal
import threading

import typer

from ..runtime import Runtime


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8040, help="Port for the API."),
    workers: int = typer.Option(4, help="Worker threads for the embedded job runner."),
    embedded_worker: bool = typer.Option(
        True, help="Run jobs in this process (off when separate `kervan worker`s run)."
    ),
    processes: int = typer.Option(
        1,
        min=1,
        max=64,
        envvar="KERVAN_PROCESSES",
        help="Engine processes for the jobs' work (1: in this process). N > 1 uses N cores; "
        "--workers is then the jobs each one runs at a time.",
    ),
) -> None:
    """Run the API, the scheduler and (by default) an in-process worker."""
    import uvicorn

    from ..api.app import create_app
    from ..jobs.heap import settle
    from ..jobs.processes import ProcessesRefused

    runtime = Runtime.create()
    try:
        runtime.start_jobs(worker_threads=workers, worker=embedded_worker, processes=processes)
    except ProcessesRefused as exc:
        runtime.close()
        raise typer.BadParameter(str(exc), param_hint="--processes") from None
    try:
        app = create_app(runtime)
        settle()  # start-up's heap out of the collector's way (kervan.jobs.heap)
        uvicorn.run(app, host=host, port=port, log_level="info")
    finally:
        runtime.close()


def worker(
    threads: int = typer.Option(4, help="Worker threads."),
    scheduler: bool = typer.Option(False, help="Also run the scheduler and reconciler."),
) -> None:
    """Process jobs from the Redis broker (KERVAN_BROKER_URL). Run as many as you like."""
    runtime = Runtime.create()
    jobs = runtime.start_jobs(worker_threads=threads, scheduler=scheduler)
    if jobs.embedded:
        runtime.close()
        raise typer.BadParameter("kervan worker needs KERVAN_BROKER_URL=redis://...")
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    from ..jobs.heap import settle

    settle()
    typer.echo(f"kervan worker: {threads} threads on {type(jobs.broker).__name__}")
    stop.wait()
    runtime.close()


dead = typer.Typer(help="Failed work that needs a person: list and replay.")


@dead.command("list")
def dead_list(tenant: str) -> None:
    runtime = Runtime.create()
    try:
        from ..jobs.deadletters import list_dead

        typer.echo(json.dumps(list_dead(runtime.store, tenant), indent=2, ensure_ascii=False))
    finally:
        runtime.close()


@dead.command("replay")
def dead_replay(tenant: str, letter_id: str) -> None:
    """Put a dead letter back on the queue (Redis mode: a worker picks it up)."""
    from ..jobs.deadletters import replay

    runtime = Runtime.create()
    try:
        jobs = runtime.start_jobs(scheduler=False, worker=False)
        item = replay(runtime.store, jobs, tenant, letter_id)
        if item is None:
            raise typer.BadParameter(f"no dead letter {letter_id} for tenant {tenant}")
        if jobs.embedded:
            jobs.start_worker(2)
            jobs.join()
        typer.echo(f"replayed {item['actor']} {item['args']}")
    finally:
        runtime.close()


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.command("worker")(worker)
    app.add_typer(dead, name="dead-letters")
