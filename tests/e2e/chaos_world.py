"""The world the chaos tests run in: a seller on the first-party sandboxes, and Kervan processes
the test kills.

The sandboxes live in the test process, served on loopback, so the test can read what each
remote saw once the run is over; Kervan itself runs as separate ``kervan serve`` /
``kervan worker`` processes on one SQLite store, started in their own process groups so a
SIGKILL takes a process and its children (the GİB validation worker) at once, as a power cut
or an OOM kill would.

What the test configures in the sandboxes (never in the clients):

- Trendyol's gateway limit (50 requests per 10 s per endpoint) is raised: 300 orders make
  about 1,000 per-order calls, which at the documented limit is minutes of waiting, not work.
- Trendyol's own carriers ship a labelled or invoiced package after seconds instead of 6 hours
  and deliver it after seconds instead of 36 hours (its timers, on its wall clock; Kervan's
  poll window and Trendyol's clock stay the same real time).
- Yurtiçi's clock runs ``CARRIER_RATE`` times faster than real time, so its branch scans a
  parcel (2 h after booking) within seconds and delivers it (30 h) within a minute.
- Nilvera (GİB) answers a submitted document after 5 s instead of 2 minutes.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from kervan.domain import Address, Order, Party, PartyKind
from kervan.runtime import Runtime
from kervan.scenario import Scenario
from kervan.store import open_store
from kervan_demo import scenario_data as sd
from kervan_demo import wiring
from kervan_sdk.sandbox import WallClock

TENANT = "chaos"
KERVAN = str(Path(sys.executable).parent / "kervan")
#: sandbox seconds per real second on the carrier's clock
CARRIER_RATE = 3600.0
#: seconds between polls of each connection (Trendyol, Yurtiçi tracking, Nilvera statuses;
#: the least a connection allows)
POLL_S = 5
#: the product sold short: some of its orders wait for stock (on hold, with the reason)
SHORT_PRODUCT = "p-kitap"
TEX = "Trendyol Express Marketplace"
YURTICI = "Yurtiçi Kargo Marketplace"


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


class FastClock(WallClock):
    """Real time sped up ``rate`` times from the moment it is made: the carrier's own time."""

    def __init__(self, rate: float) -> None:
        super().__init__()
        self.rate = rate
        self._t0, self._m0 = datetime.now(UTC), time.monotonic()

    def now(self) -> datetime:
        elapsed = (time.monotonic() - self._m0) * self.rate
        return self._t0 + timedelta(seconds=elapsed) + self._offset

    def set(self, when: datetime) -> None:
        self._offset += when - self.now()

    def wall_time(self, at: datetime) -> datetime:
        """The wall-clock moment at which this clock showed ``at``."""
        return self._t0 + (at - self._t0 - self._offset) / self.rate


def _export_order(i: int, package: str, now: datetime) -> Order:
    """A buyer abroad: a micro-export (IHRACAT) invoice."""
    card = next(p for p in sd.PRODUCTS if p.id == "p-kazak")
    addr = Address(
        lines=[f"Unter den Linden {i + 1}"],
        district="Mitte",
        city="Berlin",
        postal_code="10117",
        country="DE",
        phone="+49301234567",
    )
    buyer = Party(
        kind=PartyKind.PERSON,
        tax_id="2222222222",
        first_name="Hans",
        last_name=f"Müller{i}",
        address=addr,
    )
    return Order(
        id=f"trendyol:{package}",
        tenant_id=TENANT,
        connection_id="trendyol",
        source="trendyol",
        order_number=f"9{package}",
        package_id=package,
        lines=[sd.line_of(card, f"{package}-0", 1, export=True)],
        buyer=buyer,
        shipping_address=addr,
        invoice_address=addr,
        ordered_at=now - timedelta(minutes=30),
        remote_status="Created",
        micro_export=True,
    )


def chaos_scenario(n: int, now: datetime) -> Scenario:
    """``n`` orders: people (e-Arşiv), companies registered for e-Fatura and not (e-Arşiv), a
    few buyers abroad (export). Nine in ten ship with the seller's Yurtiçi contract, one in ten
    under Trendyol's own (TEX: booked by Trendyol, its label fetched when first printed; the
    client's own limit of 8 labels per 10 s keeps them few)."""
    exports = max(1, n // 60)
    orders, registered = sd.bulk_orders(
        n - exports,
        tenant_id=TENANT,
        now=now,
        first_package=70000000,
        company_every=2,
        register_every=2,
        max_lines=3,
    )
    orders += [_export_order(i, str(79000000 + i), now) for i in range(exports)]
    for i, order in enumerate(orders):
        tex = i % 10 == 9
        order.cargo_provider = TEX if tex else YURTICI
        order.cargo_tracking_number = f"733{order.package_id}" if tex else None
    demand = units_by_product(orders)
    stock = {p: units + 5 for p, units in demand.items()}
    stock[SHORT_PRODUCT] = demand.get(SHORT_PRODUCT, 0) * 85 // 100
    return Scenario(
        seller=sd.SELLER,
        orders=orders,
        registered=registered,
        products=sd.PRODUCTS,
        seller_aliases=("urn:mail:defaultgb@chaos.example", "urn:mail:defaultpk@chaos.example"),
        stock={p.id: stock.get(p.id, 0) for p in sd.PRODUCTS},
    )


_PRODUCT_OF = {b: p.id for p in sd.PRODUCTS for b in p.barcodes}


def units_by_product(orders: list[Any]) -> dict[str, int]:
    """Units per product id of ``orders`` (domain orders or stored order bodies)."""
    out: dict[str, int] = {}
    for order in orders:
        lines = order["lines"] if isinstance(order, dict) else order.model_dump()["lines"]
        for line in lines:
            pid = _PRODUCT_OF[line["barcode"]]
            out[pid] = out.get(pid, 0) + int(Decimal(str(line["quantity"])))
    return out


def _sandbox(rt: Runtime, key: str, clock: WallClock) -> Any:
    module, _, name = rt.host.connector(key).sandbox.partition(":")
    return getattr(importlib.import_module(module), name)(clock=clock)


class Beacon:
    """Marks each time a remote answered a poll, so the chaos can strike while Kervan applies
    the answer (pickups consume stock, deliveries end orders: many writes in a short while)."""

    def __init__(self) -> None:
        self._answered = threading.Condition()
        self.answers = 0

    def watch(self, sandbox: Any, method: str) -> None:
        answer = getattr(sandbox, method)

        def watched(*args: Any, **kwargs: Any) -> Any:
            result = answer(*args, **kwargs)
            with self._answered:
                self.answers += 1
                self._answered.notify_all()
            return result

        setattr(sandbox, method, watched)

    def wait(self, timeout_s: float) -> bool:
        """Wait for the next answer; False if none came within ``timeout_s``."""
        with self._answered:
            seen = self.answers
            return self._answered.wait_for(lambda: self.answers > seen, timeout_s)


@dataclass
class World:
    home: Path
    rt: Runtime
    scenario: Scenario
    sandboxes: dict[str, Any]
    env: dict[str, str] = field(default_factory=dict)
    #: Yurtiçi answered a tracking query (Kervan is about to apply what moved)
    tracking: Beacon = field(default_factory=Beacon)

    @property
    def store_url(self) -> str:
        return f"sqlite:///{self.home}/k.db"

    def close(self) -> None:
        self.rt.close()
        for sandbox in self.sandboxes.values():
            sandbox.stop()


def build_world(home: Path, n: int, monkeypatch: pytest.MonkeyPatch) -> World:
    """The tenant, its connections to the sandboxes on loopback, its catalog and stock."""
    from kervan_trendyol.sandbox import app as trendyol_app

    # the sandbox's documented limits and timers, eased for a 300-order run (module docstring)
    monkeypatch.setattr(trendyol_app, "GENERIC", (100_000, 10.0))
    monkeypatch.setattr(trendyol_app, "SHIP_AFTER", timedelta(seconds=4))
    monkeypatch.setattr(trendyol_app, "DELIVER_AFTER", timedelta(seconds=8))
    monkeypatch.setenv("KERVAN_HOME", str(home))
    rt = Runtime.create(store=open_store(f"sqlite:///{home}/k.db"))
    scenario = chaos_scenario(n, datetime.now(UTC))
    wiring.create_tenant(rt, TENANT, "Chaos test", scenario, auto_approve=True)
    clocks = {"trendyol": WallClock(), "nilvera": WallClock(), "yurtici": FastClock(CARRIER_RATE)}
    sandboxes = {key: _sandbox(rt, key, clock) for key, clock in clocks.items()}
    sandboxes["nilvera"].accept_after_s = 5.0
    # this world tests kills, not GİB: a rejected e-Fatura waits for a person (FAILED), which
    # the checks below would count as units lost (test_invoice_rules covers rejections)
    sandboxes["nilvera"].gib_rejection_share = 0.0
    for key, sandbox in sandboxes.items():
        sandbox.seed_scenario(scenario)
        wiring.connect(
            rt, TENANT, key, sandbox, sandbox.serve("127.0.0.1", 0), poll_interval_s=POLL_S
        )
    wiring.stock_catalog(rt, TENANT, scenario)
    env = {**os.environ, "KERVAN_HOME": str(home), "KERVAN_STORE_URL": f"sqlite:///{home}/k.db"}
    env.pop("KERVAN_BROKER_URL", None)
    world = World(home, rt, scenario, sandboxes, env)
    world.tracking.watch(sandboxes["yurtici"], "_query")
    return world


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Fleet:
    """Kervan processes the test starts, SIGKILLs (with their children) and starts again."""

    def __init__(self, home: Path, env: dict[str, str], commands: list[list[str]]) -> None:
        self.home, self.env, self.commands = home, env, commands
        self.procs: list[subprocess.Popen[bytes]] = []
        self.logs: list[Path] = []
        self.spawned = 0
        for i in range(len(commands)):
            self.procs.append(self._spawn(i))

    def _spawn(self, i: int) -> subprocess.Popen[bytes]:
        self.spawned += 1
        path = self.home / f"kervan-{i}-{self.spawned}.log"
        if i < len(self.logs):
            self.logs[i] = path
        else:
            self.logs.append(path)
        with open(path, "wb") as log:
            return subprocess.Popen(
                self.commands[i],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: the kill takes its children too
            )

    def ready(self, i: int) -> bool:
        """Started up: ``kervan serve`` listens on its port; ``kervan worker`` said so."""
        command = self.commands[i]
        if "serve" in command:
            port = int(command[command.index("--port") + 1])
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", port)) == 0
        return b"kervan worker:" in self.logs[i].read_bytes()

    def wait_ready(self, i: int, timeout_s: float = 60.0) -> float:
        """Seconds until process ``i`` is up (``timeout_s`` if it never is)."""
        started = time.monotonic()
        while not self.ready(i) and time.monotonic() - started < timeout_s:
            if self.procs[i].poll() is not None:
                raise AssertionError(
                    f"{' '.join(self.commands[i])} exited: {self.logs[i].read_text()[-2000:]}"
                )
            time.sleep(0.1)
        return time.monotonic() - started

    def kill(self, i: int) -> None:
        proc = self.procs[i]
        with contextlib.suppress(ProcessLookupError):  # it died on its own
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

    def restart(self, i: int) -> None:
        self.kill(i)
        self.procs[i] = self._spawn(i)

    def stop(self) -> None:
        for i in range(len(self.procs)):
            self.kill(i)


def serve_command() -> list[str]:
    return [KERVAN, "serve", "--port", str(free_port()), "--workers", "4"]


def worker_command() -> list[str]:
    return [KERVAN, "worker", "--threads", "4"]


class PackingStation:
    """Prints the labels of parcels Trendyol booked (its carrier collects labelled parcels):
    what a packer's first print does, every couple of seconds, from the test process."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="packing-station", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(2.0):
            try:
                self.rt.loop.run(self.rt.engine.fetch_missing_labels(TENANT), timeout=60)
            except Exception as exc:  # a remote hiccup: the next round prints it
                self.errors.append(repr(exc))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=70)
