"""``kervan demo``: the whole order-to-cash flow against the first-party sandboxes on loopback.

It uses only what a real deployment uses: the plugins found through entry points, their
sandboxes served over HTTP, connections created through the connection service, and the
embedded job runner. The only thing the demo does that production does not is move the
sandboxes' simulated clocks forward, so carriers pick up and GİB answers within seconds.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kervan import OrderSource, Runtime, Scenario
from kervan.domain import Listing, Role, SplitRules, User
from kervan.reports import Summary, export_all, summarize
from kervan.roles import utcnow
from kervan_sdk import WallClock
from kervan_sdk.sandbox import ErpProduct

from . import scenario_data, wiring

SANDBOXES = ("trendyol", "nilvera", "yurtici", "mng", "nebim")
#: the seller's second Trendyol store (an outlet): the same items under barcodes of its own
OUTLET = "trendyol-outlet"
OUTLET_SELLER_ID = 274_902
HOUR = 3600.0


@dataclass
class DemoOptions:
    home: Path
    orders_file: Path | None = None
    export_dir: Path | None = None
    #: the demo tenant's split rules (``kervan demo`` sets a parcel limit; tests may not)
    split_rules: SplitRules | None = None


def sandbox_for(runtime: Runtime, key: str, *, live: bool = True) -> Any:
    """The sandbox of connector ``key``: on a wall clock when ``live`` (served on loopback),
    else on its own simulated clock (in-process, for benchmarks and tests)."""
    try:
        cls = runtime.host.connector(key)
    except Exception as exc:
        raise SystemExit(f"kervan demo needs the {key} plugin (kervan-{key}): {exc}") from None
    if not cls.sandbox:
        raise SystemExit(f"the {key} connector ships no sandbox")
    module, _, name = cls.sandbox.partition(":")
    # served on loopback, a sandbox lives in real time (rate limits refill, statuses move);
    # the demo still jumps it forward with advance() so carriers and GİB answer in seconds
    cls_ = getattr(importlib.import_module(module), name)
    return cls_(clock=WallClock()) if live else cls_()


class Demo:
    def __init__(self, options: DemoOptions, say: Callable[[str], None]) -> None:
        self.options, self.say = options, say
        self.sandboxes: dict[str, Any] = {}
        self.urls: dict[str, str] = {}
        self.runtime: Runtime | None = None
        self.api_key: str | None = None
        self.scenario: Scenario | None = None
        #: what the floor's picking round and packing session did (summary.json's ``floor``)
        self.floor: dict[str, Any] = {}

    # -- set-up -------------------------------------------------------------------------------

    def start(self, *, clock: Callable[[], datetime] | None = None) -> Runtime:
        home = self.options.home
        # never delete a store here: `kervan demo` gives each run a directory of its own
        home.mkdir(parents=True, exist_ok=True)
        # sandbox mode: the connections point at sandboxes served on loopback
        runtime = Runtime.create(
            store_url=f"sqlite:///{home.absolute()}/kervan.db",
            clock=clock or utcnow,
            mode="sandbox",
        )
        self.runtime = runtime
        for key in SANDBOXES:
            sandbox = sandbox_for(runtime, key)
            self.sandboxes[key] = sandbox
            self.urls[key] = sandbox.serve("127.0.0.1", 0)
        outlet = sandbox_for(runtime, "trendyol")
        outlet.seller_id = OUTLET_SELLER_ID
        self.sandboxes[OUTLET] = outlet
        self.urls[OUTLET] = outlet.serve("127.0.0.1", 0)
        self.say("sandboxes up: " + ", ".join(f"{k} {u}" for k, u in self.urls.items()))
        return runtime

    def seed(self, scenario: Scenario | None = None) -> None:
        assert self.runtime is not None
        scenario = scenario or scenario_data.demo_scenario("trendyol", datetime.now(UTC))
        self.scenario = scenario
        for key, sandbox in self.sandboxes.items():
            if key == OUTLET:
                sandbox.seed_scenario(scenario_data.outlet_listings(scenario))
            elif key == "trendyol" and self.options.orders_file is not None:
                sandbox.load_file(self.options.orders_file)
            else:
                sandbox.seed_scenario(scenario)
        self._tenant(scenario)
        wiring.stock_catalog(self.runtime, "demo", scenario)
        origin = "file " + str(self.options.orders_file) if self.options.orders_file else "scenario"
        self.say(f"demo tenant ready; marketplace seeded from {origin}")

    def _tenant(self, scenario: Any) -> None:
        rt = self.runtime
        assert rt is not None
        wiring.create_tenant(
            rt,
            "demo",
            "Anadolu Tekstil (demo)",
            scenario,
            website="https://www.trendyol.com/magaza/anadolu-tekstil",
        )
        if self.options.split_rules is not None:
            tenant = rt.tenancy.get_tenant("demo")
            assert tenant is not None  # just made by create_tenant
            tenant.settings.split_rules = self.options.split_rules
            rt.tenancy.update_tenant(tenant)
        for key in SANDBOXES:
            wiring.connect(rt, "demo", key, self.sandboxes[key], self.urls[key])
        wiring.connect(
            rt, "demo", OUTLET, self.sandboxes[OUTLET], self.urls[OUTLET], connector="trendyol"
        )
        admin = rt.tenancy.create_user(
            User(
                id="demo-admin",
                tenant_id="demo",
                name="Demo Admin",
                roles=[Role.TENANT_ADMIN, Role.OPERATOR],
            )
        )
        self.api_key, _ = rt.tenancy.create_api_key(admin)

    # -- the flow -----------------------------------------------------------------------------

    def drain(self) -> None:
        """Run queued work until nothing is due (fan-out may queue more after a first join)."""
        assert self.runtime is not None and self.runtime.jobs is not None
        jobs = self.runtime.jobs
        for _ in range(5):  # fan-out may enqueue more work after the queue first empties
            jobs.join()
            if not sum(
                jobs.send("process_order", "demo", oid)
                for oid in self.runtime.engine.due_orders("demo")
            ):
                return

    def advance(self, keys: tuple[str, ...], seconds: float) -> None:
        for key in keys:
            self.sandboxes[key].clock.advance(seconds)

    # (title, sandboxes whose clocks jump, hours, jobs to send or the name of a step of ours)
    PHASES: tuple[tuple[str, tuple[str, ...], float, tuple[tuple[str, ...], ...] | str], ...] = (
        ("importing both Trendyol stores' listings onto product cards", (), 0, "_catalog"),
        ("polling Trendyol for new packages", (), 0, (("poll_source", "demo", "trendyol"),)),
        (
            # Trendyol carries a split out a minute after it answered the request
            "the buyer cancels an order at the marketplace and Trendyol splits the package "
            "the parcel limit asked it to; polling again",
            ("trendyol",),
            0.05,
            (("poll_source", "demo", "trendyol"),),
        ),
        ("restocking the out-of-stock product", (), 0, "_restock"),
        ("a delivery arrives; its stock goes to both stores", (), 0, "_stock_to_channels"),
        ("the packing station prints the labels", (), 0, "_print_labels"),
        ("a picking round and a packing session on the floor", (), 0, "_floor"),
        (
            # ours report to us; Trendyol's contracted carriers report through the package
            "carriers pick up the parcels",
            ("yurtici", "mng", "trendyol"),
            7,
            (("track_carrier", "demo", "yurtici"), ("poll_source", "demo", "trendyol")),
        ),
        ("GİB answers the integrator", ("nilvera",), 1, (("poll_documents", "demo"),)),
        (
            "parcels are delivered",
            ("yurtici", "mng", "trendyol"),
            72,
            (("track_carrier", "demo", "yurtici"), ("poll_source", "demo", "trendyol")),
        ),
        ("the returns desk: one return of each kind", ("nilvera",), 0.1, "_returns"),
        (
            "last document statuses; the stores get the last stock figures",
            ("nilvera",),
            1,
            (("poll_documents", "demo"), ("push_stock", "demo")),
        ),
        (
            "Trendyol pays the delivered orders out; sales, payments and reversals go to Nebim",
            (),
            0,
            "_erp",
        ),
    )

    def flow(self) -> None:
        rt = self.runtime
        assert rt is not None
        jobs = rt.start_jobs(broker_url="", scheduler=False)
        for title, clocks, hours, action in self.PHASES:
            self.say(title)
            self.advance(clocks, hours * HOUR)
            if isinstance(action, str):
                getattr(self, action)()
            else:
                for job in action:
                    jobs.send(*job)
            self.drain()

    def _erp(self) -> None:
        """Trendyol settles every delivered package (its finance API then lists the payout);
        Kervan reads the settlements and posts the outbox to the Nebim connection."""
        rt = self.runtime
        assert rt is not None and rt.jobs is not None
        trendyol = self.sandboxes["trendyol"]
        # Trendyol pays for what reached the buyer: its own status, or our carrier's delivery
        gone = ("Cancelled", "UnSupplied", "UnPacked", "Awaiting", "Created", "Picking")
        delivered = [pid for pid, p in trendyol.packages.items() if p["status"] not in gone]
        for pid in delivered:
            trendyol.pay_out(pid, 700_000 + pid % 100_000)
        rt.jobs.send("fetch_settlements", "demo", "trendyol")
        self.drain()
        self._erp_knows_what_was_sold()
        rt.jobs.send("erp_post", "demo", "nebim")

    def _erp_knows_what_was_sold(self) -> None:
        """The seller's V3 holds every item it sells: an orders file may bring items the
        demo's scenario does not have, and V3 refuses a sale of a barcode it does not know."""
        nebim = self.sandboxes["nebim"]
        known = {b for p in nebim.ledger.products for b in p.barcodes}
        added = {}
        for pkg in self.sandboxes["trendyol"].packages.values():
            for line in pkg.get("lines") or []:  # a damaged package may have none
                if line.get("barcode") and line["barcode"] not in known:
                    code = str(line.get("stockCode") or line["barcode"])
                    added[line["barcode"]] = ErpProduct(
                        code, line["productName"], (line["barcode"],)
                    )
        if added:
            nebim.erp_seed_products(nebim.ledger.products + list(added.values()))

    def _print_labels(self) -> None:
        """Labels of parcels the marketplace booked come from it when first printed."""
        rt = self.runtime
        assert rt is not None and rt.jobs is not None
        rt.jobs.loop.run(rt.engine.fetch_missing_labels("demo"))

    def _catalog(self) -> None:
        """Both stores' listings onto cards; the outlet's own barcodes meet their cards by an
        operator's merge (same stock code, different barcode), then every store gets the
        ledger's figure."""
        rt = self.runtime
        assert rt is not None and rt.jobs is not None
        catalog, run = rt.catalog, rt.jobs.loop.run
        for conn in ("trendyol", OUTLET):
            report = run(catalog.import_listings("demo", conn))
            self.say(
                f"  {conn}: {report.seen} listings, {len(report.attached)} on existing cards, "
                f"{len(report.new_cards)} new cards"
            )
        ours = {p.id for p in self.scenario.products} if self.scenario else set()
        merged = 0
        for candidate in catalog.merge_candidates("demo"):
            cards = candidate["cards"]
            target = next((c for c in cards if c in ours), cards[0])
            sources = [c for c in cards if c != target]
            catalog.merge(
                "demo",
                target,
                sources,
                actor="demo-operator",
                reason=f"stock code {candidate['stock_code']} on both stores",
            )
            merged += len(sources)
        self.say(f"  merged {merged} outlet cards onto their products (same stock code)")
        pushed = run(catalog.push("demo"))
        self.say(f"  pushed {pushed.ok} listings ({pushed.failed} failed)")

    def _stock_to_channels(self) -> None:
        """Receive units of one product and show the new figure on both stores, as their
        own APIs report it."""
        rt = self.runtime
        assert rt is not None and rt.jobs is not None
        catalog, run = rt.catalog, rt.jobs.loop.run
        product = scenario_data.PRODUCTS[0]
        catalog.receive("demo", product.id, 12, actor="demo-warehouse", ref="demo-delivery-1")
        run(catalog.push("demo"))
        available = catalog.stock("demo", product.id)["available"]
        shown = {}
        for conn in ("trendyol", OUTLET):
            listings = [entry for entry in catalog.card("demo", product.id)["listings"]]
            barcodes = {entry["barcode"] for entry in listings if entry["connection_id"] == conn}
            shown[conn] = run(_remote_quantity(rt, conn, barcodes))
        self.say(
            f"  {product.sku}: available {available}; "
            + ", ".join(
                f"{conn} shows {qty}" if qty is not None else f"{conn} does not list it"
                for conn, qty in shown.items()
            )
        )

    def _floor(self) -> None:
        """Pick lists by the tenant's rules, picked in full, then every unit scanned at the
        packing station (kervan.floor): each completed order prints and is packed."""
        from kervan.floor import demo_round

        assert self.runtime is not None
        self.floor = demo_round(self.runtime, "demo")
        f = self.floor
        self.say(
            f"  {len(f['pick_lists'])} pick lists, {f['scans']} scans, "
            f"{len(f['orders_packed'])} orders packed"
        )

    def _returns(self) -> None:
        from .returns_phase import ReturnsPhase

        assert self.runtime is not None
        ReturnsPhase(self.runtime, self.sandboxes, self.say).run_all()

    def _restock(self) -> None:
        assert self.runtime is not None
        woken = self.runtime.engine.set_stock("demo", scenario_data.OUT_OF_STOCK_PRODUCT, 5)
        for oid in woken:
            assert self.runtime.jobs is not None
            self.runtime.jobs.enqueue_order("demo", oid)

    def finish(self) -> Summary:
        assert self.runtime is not None
        summary = summarize(self.runtime, "demo")
        summary.floor = self.floor
        if self.options.export_dir is not None:
            export_all(self.runtime, "demo", self.options.export_dir, summary)
        return summary

    def stop(self) -> None:
        if self.runtime is not None:
            self.runtime.close()
        for sandbox in self.sandboxes.values():
            sandbox.stop()


async def _remote_quantity(rt: Runtime, connection_id: str, barcodes: set[str]) -> int | None:
    """What the channel's own API says it shows for the listing (read back, not assumed)."""
    source = rt.connectors.get("demo", connection_id)
    assert isinstance(source, OrderSource)
    async for item in source.fetch_listings():
        if isinstance(item, Listing) and item.barcode in barcodes:
            return item.quantity
    return None
