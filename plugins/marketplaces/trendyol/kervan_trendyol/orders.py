"""Order-source work for Trendyol packages: fetch, status, invoice, split, ship, cancel, label."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx
from kervan import RecordProblem, RemoteRef
from kervan.domain import Invoice, Label, Order
from kervan.errors import ConflictError, InvalidInputError, RemoteRejectedError
from kervan_sdk.labels import label_pdf

from .carriers import tracking_link
from .client import MAX_QUERY_WINDOW
from .mapping import package_or_problem, package_to_order, raw_id, to_epoch_ms

if TYPE_CHECKING:
    from .client import TrendyolClient
    from .settings import TrendyolSettings

log = logging.getLogger("kervan.trendyol")

#: the widest date range one getShipmentPackages query may ask for
MAX_WINDOW = timedelta(days=14)
#: how far back Trendyol keeps packages queryable
HISTORY = timedelta(days=90)
#: statuses that the seller can no longer move forward (the carrier or Trendyol did)
PAST_PICKING = {"Invoiced", "Shipped", "AtCollectionPoint", "Delivered", "UnDelivered", "Returned"}
PAST_INVOICED = PAST_PICKING - {"Invoiced"}
#: cancelled and unsupplied packages are listed by a second pass per status: getShipmentPackages
#: takes one documented ``status`` per call (no comma lists, and ``UnPacked`` is no filter value;
#: split-away originals come in the unfiltered pass) [Trendyol API reference, getShipmentPackages]
GONE_STATUSES = ("Cancelled", "UnSupplied")
#: carriers whose label Trendyol produces (the "common label")
COMMON_LABEL_PREFIXES = ("733", "726", "729")  # Trendyol Express, Aras, UPS
COMMON_LABEL_PROVIDERS = ("trendyol express", "aras", "ups")
#: reasonId for unsupplied lines
UNSUPPLY_REASONS = {
    "out_of_stock": 500,
    "stock_out": 500,
    "defective": 501,
    "wrong_price": 502,
    "integration": 504,
    "bulk_purchase": 505,
    "force_majeure": 506,
}


def windows(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """``[start, end]`` cut into consecutive ranges of at most two weeks, oldest first."""
    out = []
    while start < end:
        stop = min(start + MAX_WINDOW, end)
        out.append((start, stop))
        start = stop
    return out


class OrdersMixin:
    """The order-source methods; mixed into :class:`~kervan_trendyol.connector.Trendyol`."""

    settings: TrendyolSettings
    client: TrendyolClient
    context: Any

    # -- fetch -----------------------------------------------------------------------------

    async def fetch_orders(
        self, since: datetime, until: datetime | None = None
    ) -> AsyncIterator[Order | RecordProblem]:
        """Every package modified in ``[since, until]``, each at most once per call; a package
        that breaks Trendyol's contract comes as a :class:`~kervan.RecordProblem` in its place.

        Exactly the window asked for: the engine owns the polling window (its overlap and the
        first poll's lookback), so nothing is re-read here. Only Trendyol's own limits shape
        the requests: a start older than the three months Trendyol keeps is moved up to it,
        and windows are cut at two weeks and paged newest-first (``PackageLastModifiedDate``,
        ``DESC``), so a package modified while we page moves to the head of the list: pages
        shift later, we see repeats (deduplicated here) and never skip one. A window whose
        ``totalElements`` changes while we page it is read again. A window with more than
        10,000 packages (Trendyol's paging cap) is halved until it fits.
        """
        now = self.context.clock()
        until = until or now
        start = max(since, now - HISTORY)
        seen: dict[str, Any] = {}
        for status in (None, *GONE_STATUSES):
            for lo, hi in windows(start, until):
                async for pkg in self._packages_in(lo, hi, status):
                    key = raw_id(pkg, "shipmentPackageId", "id")
                    if key is not None:
                        stamp = (pkg.get("lastModifiedDate"), pkg.get("status"))
                        if seen.get(key) == stamp:
                            continue
                        seen[key] = stamp
                    # a package that cannot be mapped comes as a RecordProblem in its place
                    yield self.map_package(pkg)

    def map_package(self, pkg: Any) -> Order | RecordProblem:
        """One raw package as an :class:`Order`, or the problem that keeps it in quarantine."""
        return package_or_problem(
            pkg, tenant_id=self.context.tenant_id, connection_id=self.context.connection_id
        )

    def map_order(self, raw: dict[str, Any]) -> Order:
        """One raw package as ``fetch_orders`` maps it (raises if it cannot): for replays."""
        return package_to_order(
            raw, tenant_id=self.context.tenant_id, connection_id=self.context.connection_id
        )

    async def _packages_in(
        self, lo: datetime, hi: datetime, status: str | None, depth: int = 0
    ) -> AsyncIterator[dict[str, Any]]:
        size = self.settings.page_size
        params: dict[str, Any] = {
            "startDate": to_epoch_ms(lo),
            "endDate": to_epoch_ms(hi),
            "orderByField": "PackageLastModifiedDate",
            "orderByDirection": "DESC",
            "size": size,
        }
        if status:
            params["status"] = status
        for _restart in range(3):
            first = await self.client.get_packages({**params, "page": 0})
            total = int(first.get("totalElements") or 0)
            if total > MAX_QUERY_WINDOW and hi - lo > timedelta(minutes=1) and depth < 20:
                middle = lo + (hi - lo) / 2
                async for pkg in self._packages_in(middle, hi, status, depth + 1):
                    yield pkg
                async for pkg in self._packages_in(lo, middle, status, depth + 1):
                    yield pkg
                return
            changed = False
            body, page = first, 0
            while True:
                for pkg in body["content"]:
                    yield pkg
                pages = int(body.get("totalPages") or 0)
                if int(body.get("totalElements") or 0) != total:
                    changed = True
                page += 1
                if page >= pages or not body["content"] or page * size >= MAX_QUERY_WINDOW:
                    break
                body = await self.client.get_packages({**params, "page": page})
            if not changed:
                return
            log.info("trendyol: package list changed while paging; reading the window again")

    # -- status ----------------------------------------------------------------------------

    @staticmethod
    def _lines_of(order: Order) -> list[dict[str, Any]]:
        if not all(line.line_id.isdigit() for line in order.lines):
            raise InvalidInputError("Trendyol line ids are numeric: pass the order as fetched")
        return [
            {"lineId": int(line.line_id), "quantity": int(line.quantity)} for line in order.lines
        ]

    async def _already(self, order: Order, statuses: set[str]) -> bool:
        pkg = await self.client.get_package(order.package_id)
        return pkg is not None and pkg.get("status") in statuses

    async def accept(self, order: Order) -> RemoteRef:
        """Status ``Picking``: the seller took the package. Harmless to repeat."""
        try:
            await self.client.update_package(order.package_id, self._lines_of(order), "Picking")
        except RemoteRejectedError:
            if await self._already(order, {"Picking"} | PAST_PICKING):
                return RemoteRef(remote_id=order.package_id, already_done=True)
            raise
        return RemoteRef(remote_id=order.package_id)

    async def mark_invoiced(self, order: Order, invoice_number: str) -> RemoteRef:
        """Status ``Invoiced`` with the invoice number (optional step in Trendyol's flow)."""
        try:
            await self.client.update_package(
                order.package_id,
                self._lines_of(order),
                "Invoiced",
                {"invoiceNumber": invoice_number},
            )
        except RemoteRejectedError:
            if await self._already(order, {"Invoiced"} | PAST_INVOICED):
                return RemoteRef(remote_id=order.package_id, already_done=True)
            raise
        return RemoteRef(remote_id=order.package_id)

    # -- invoice link / file ---------------------------------------------------------------

    async def _invoice_on_package(self, order: Order) -> str | None:
        pkg = await self.client.get_package(order.package_id)
        return (pkg or {}).get("invoiceLink") or None

    async def send_invoice_link(self, order: Order, invoice: Invoice, url: str) -> RemoteRef:
        """Send the e-Arşiv/e-Fatura link once; a repeat of the same link is ``already_done``."""
        body: dict[str, Any] = {
            "invoiceLink": url,
            "shipmentPackageId": int(order.package_id),
            "invoiceDateTime": _invoice_epoch(invoice),
            "invoiceNumber": invoice.number,
        }

        async def lookup() -> httpx.Response | None:
            return httpx.Response(200) if await self._invoice_on_package(order) == url else None

        try:
            await self.client.send_invoice_link(body, lookup)
        except ConflictError:
            if await self._invoice_on_package(order) == url:
                return RemoteRef(remote_id=order.package_id, already_done=True)
            raise
        return RemoteRef(remote_id=order.package_id)

    async def send_invoice_file(self, order: Order, invoice: Invoice, pdf: bytes) -> RemoteRef:
        """Upload the invoice PDF (once per package; Trendyol refuses a second invoice)."""

        async def lookup() -> httpx.Response | None:
            return httpx.Response(200) if await self._invoice_on_package(order) else None

        try:
            await self.client.upload_invoice_file(
                order.package_id,
                pdf,
                invoice_number=invoice.number,
                invoice_date_ms=_invoice_epoch(invoice),
                lookup=lookup,
            )
        except (ConflictError, RemoteRejectedError):
            if await self._invoice_on_package(order):
                return RemoteRef(remote_id=order.package_id, already_done=True)
            raise
        return RemoteRef(remote_id=order.package_id)

    # -- split / cancel / ship -------------------------------------------------------------

    async def split_package(self, order: Order, groups: list[list[str]]) -> RemoteRef:
        """Split into groups of line ids (``multi-split``). Trendyol splits asynchronously:
        it answers with the new packages' ids at once, and a little later the original
        becomes ``UnPacked`` and the new packages arrive through :meth:`fetch_orders`. A
        repeat after the split took effect is ``already_done``; one while it is still under
        way is refused (RemoteRejectedError) and succeeds as ``already_done`` when retried."""
        known = {line.line_id for line in order.lines}
        flat = [line_id for group in groups for line_id in group]
        if not groups or any(not g for g in groups) or len(flat) != len(set(flat)):
            raise InvalidInputError("split groups must be non-empty and must not share lines")
        if not set(flat) <= known:
            raise InvalidInputError("split groups name lines that are not in the package")
        plan = [[int(i) for i in g] for g in groups]
        try:
            new_ids = await self.client.multi_split(order.package_id, plan)
        except RemoteRejectedError:
            if self._split_accepted(order, plan) or await self._already(order, {"UnPacked"}):
                return RemoteRef(remote_id=order.package_id, already_done=True)
            raise
        self._note_split(order, plan)
        log.info("trendyol: package %s splits into %s", order.package_id, ", ".join(new_ids))
        return RemoteRef(remote_id=order.package_id)

    async def split_package_by_quantity(
        self, order: Order, parcels: list[dict[str, int]]
    ) -> RemoteRef:
        """Split into parcels of ``{line id: quantity}`` (``split-packages``, Trendyol's
        splitMultiPackageByQuantity): one line's units may go to several packages.
        Asynchronous like :meth:`split_package`: the new packages arrive through
        :meth:`fetch_orders` a little later, when the original becomes ``UnPacked``."""
        wanted = {line.line_id: line.quantity for line in order.lines}
        given: dict[str, int] = {}
        for parcel in parcels:
            for line_id, quantity in parcel.items():
                if line_id not in wanted or quantity < 1:
                    raise InvalidInputError(f"cannot put {quantity} of line {line_id} in a parcel")
                given[line_id] = given.get(line_id, 0) + quantity
        if len(parcels) < 2 or any(not p for p in parcels) or given != wanted:
            raise InvalidInputError(
                "give at least two non-empty parcels whose quantities add up to each line's"
            )
        body = [{int(k): int(v) for k, v in parcel.items()} for parcel in parcels]
        try:
            await self.client.split_packages(order.package_id, body)
        except RemoteRejectedError:
            if self._split_accepted(order, body) or await self._already(order, {"UnPacked"}):
                return RemoteRef(remote_id=order.package_id, already_done=True)
            raise
        self._note_split(order, body)
        return RemoteRef(remote_id=order.package_id)

    def _note_split(self, order: Order, plan: Any) -> None:
        """Remember a split Trendyol accepted: until it takes effect (it is asynchronous)
        the package looks untouched and Trendyol refuses the same split again."""
        accepted: dict[str, str] = self.__dict__.setdefault("_splits_accepted", {})
        accepted[order.package_id] = repr(plan)

    def _split_accepted(self, order: Order, plan: Any) -> bool:
        accepted: dict[str, str] = self.__dict__.get("_splits_accepted", {})
        return accepted.get(order.package_id) == repr(plan)

    async def cancel_lines(self, order: Order, lines: dict[str, int], reason: str) -> RemoteRef:
        """Report quantities that cannot be supplied (``items/unsupplied``)."""
        reason_id = int(reason) if reason.isdigit() else UNSUPPLY_REASONS.get(reason, 500)
        by_id = {line.line_id: line for line in order.lines}
        for line_id, quantity in lines.items():
            if line_id not in by_id or not 0 < quantity <= by_id[line_id].quantity:
                raise InvalidInputError(f"cannot unsupply {quantity} of line {line_id}")
        body = [{"lineId": int(k), "quantity": int(v)} for k, v in lines.items()]
        try:
            await self.client.unsupply(order.package_id, body, reason_id)
        except RemoteRejectedError:
            if await self._already(order, {"UnSupplied", "Cancelled"}):
                return RemoteRef(remote_id=order.package_id, already_done=True)
            raise
        return RemoteRef(remote_id=order.package_id)

    async def send_tracking_number(
        self, order: Order, tracking_number: str, carrier: str
    ) -> RemoteRef:
        """The seller ships with its own carrier contract: tell Trendyol with alternative
        delivery (``alternative-delivery``, which replaced ``update-tracking-number``).

        Trendyol takes the carrier's tracking *link* and marks the package Shipped at once;
        the link comes from ``tracking_link_template`` or the carrier's public tracking page
        (:data:`~kervan_trendyol.carriers.TRACKING_LINKS`). Sent again (after a lost answer),
        Trendyol refuses the now shipped package: the package carrying our link is
        ``already_done``."""
        link = tracking_link(carrier, tracking_number, self.settings.tracking_link_template)
        if link is None:
            raise InvalidInputError(
                f"Trendyol alternative delivery needs a tracking link; no tracking page is known "
                f"for carrier {carrier!r}: set tracking_link_template on the Trendyol connection"
            )
        try:
            await self.client.alternative_delivery(order.package_id, link)
        except RemoteRejectedError:
            pkg = await self.client.get_package(order.package_id)
            if pkg and pkg.get("cargoTrackingLink") == link:
                return RemoteRef(remote_id=order.package_id, already_done=True)
            raise
        return RemoteRef(remote_id=order.package_id)

    async def fetch_label(self, order: Order) -> Label | None:
        """The common label when Trendyol arranges the carrier (TEX, Aras, UPS); ``None``
        when the seller ships with its own contract, or when Trendyol has not made the
        barcode yet (the next print asks again).

        Trendyol's documented flow: request the barcode (``createCommonLabel``), then fetch
        it (``getCommonLabel``): one request and one fetch per parcel. A request Trendyol
        refuses (a label already requested elsewhere, say) still goes on to the fetch.
        Trendyol offers ZPL only (one ``^XA…^XZ`` per parcel); the label is returned as that
        ZPL, and its PDF is drawn when first printed (:meth:`label_pdf`).
        https://developers.trendyol.com/docs/ortak-etiket-barkod-talebi-createcommonlabel
        https://developers.trendyol.com/docs/ortak-etiket-oluşan-barkodun-alınması-getcommonlabel
        """
        pkg = (
            None
            if order.cargo_tracking_number  # as fetched: no need to ask again
            else await self.client.get_package(order.package_id)
        )
        tracking = str((pkg or {}).get("cargoTrackingNumber") or order.cargo_tracking_number or "")
        provider = str((pkg or {}).get("cargoProviderName") or order.cargo_provider or "").lower()
        if not tracking or tracking == "0":
            return None
        if not (
            tracking.startswith(COMMON_LABEL_PREFIXES)
            or any(name in provider for name in COMMON_LABEL_PROVIDERS)
        ):
            return None
        try:
            await self.client.create_common_label(tracking)
        except RemoteRejectedError as exc:  # requested before, or not a common-label parcel
            log.info("trendyol common label %s not requested again: %s", tracking, exc.message)
        try:
            labels = await self.client.get_common_label(tracking)
        except RemoteRejectedError:  # no barcode for it (some gateways answer 400 here)
            return None
        zpl = "\n".join(str(item.get("label", "")) for item in labels if item.get("label"))
        return Label(zpl=zpl) if zpl else None

    def label_pdf(self, label: Label) -> bytes:
        """The common label's ZPL drawn as a PDF: the same fields and the same barcodes
        (symbology and data), a page per parcel (:func:`kervan_sdk.labels.pdf_from_zpl`);
        :class:`~kervan.errors.InvalidInputError` for a ZPL it cannot draw (a barcode
        symbology it does not know), which then prints as ZPL only."""
        return label_pdf(label)


def _invoice_epoch(invoice: Invoice) -> int:
    return to_epoch_ms(invoice.issued_at)
