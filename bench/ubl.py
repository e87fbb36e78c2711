"""Benchmark: build, validate and render UBL-TR invoices for 2,000 varied orders.

Usage: ``.venv/bin/python bench/ubl.py [--n 2000] [--seed 7]``. The orders vary buyer type
(person, company, placeholders, foreign), VAT rates (0/1/10/20, several per invoice),
discounts, quantities and profiles (e-Arşiv, TEMELFATURA, TICARIFATURA, IHRACAT, micro export
in EUR). Validator warm-up (~0.6 s) is paid once, outside the timed loop, as in the engine.
Prints one JSON line last: ``{"bench": "ubl", "build_per_s": ..., "validate_per_s": ...,
"build_valid_draft_per_s": ..., "build_valid_numbered_per_s": ..., "pdf_per_s": ...}``
(``pdf_per_s`` is null when the renderer is not installed). ``validate_per_s`` is the public
``validate`` (GİB's rules and our read-back arithmetic, as for XML from outside); the two
``build_valid`` rates are the order path's two calls of the issuer's ``build_xml``: the draft
(arithmetic on the document, GİB's rules in full) and the numbered invoice that leaves with
its draft's ``checked_digest`` (GİB's XSD and the numbering checks).

The headline rates divide by this process's CPU time: the development machine (2 cores) is
shared with other builds and test runs, so wall-clock rates mostly measure the neighbours.
Wall-clock rates and the 1-minute load average are reported next to them under ``wall``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from kervan.domain import Address, Invoice, Order, OrderLine, Party, PartyKind
from kervan.invoicing import invoice_from_order, numbered
from kervan.roles import Alias, Registration
from kervan.tax import decide
from kervan_ubltr import build_invoice, build_valid
from kervan_ubltr.validation import Validator

T0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
SELLER = Party(
    kind=PartyKind.COMPANY,
    tax_id="4540536920",
    company_name="Kervan Satıcı A.Ş.",
    tax_office="Kadıköy",
    address=Address(
        lines=["Rıhtım Cad. 1"], district="Kadıköy", city="İstanbul", postal_code="34710"
    ),
)
TR = [("İstanbul", "Kadıköy", "34710"), ("Ankara", "Çankaya", "06690"), ("İzmir", "Konak", "35250")]
NAMES = ["Pamuklu Tişört", "Çelik Termos", "Deri Cüzdan", "Şarj Kablosu", "Kırmızı Ruj", "Kitap"]


def buyer(rng: random.Random, foreign: bool) -> Party:
    if rng.random() < 0.6:
        tax_id = (
            "2222222222" if foreign else rng.choice(["17291716060", "10000000146", "11111111111"])
        )
        return Party(kind=PartyKind.PERSON, tax_id=tax_id, first_name="Ayşe", last_name="Yılmaz")
    tax_id = "2222222222" if foreign else rng.choice(["3297552117", "3406773232", "2782995376"])
    return Party(kind=PartyKind.COMPANY, tax_id=tax_id, company_name="Örnek Ticaret A.Ş.")


def order(rng: random.Random, i: int) -> Order:
    foreign = rng.random() < 0.15
    lines = []
    for n in range(rng.choice([1, 1, 2, 3, 5, 8])):
        qty = Decimal(rng.choice([1, 1, 2, 3]))
        price = Decimal(rng.randint(100, 500_000)) / 100
        gross = price * qty
        discount = (gross * Decimal(rng.choice([0, 0, 5, 10, 25])) / 100).quantize(Decimal("0.01"))
        lines.append(
            OrderLine(
                line_id=str(n + 1),
                barcode=f"869{i:06d}{n:04d}",
                name=rng.choice(NAMES),
                quantity=qty,
                unit_price=price,
                # 0 % needs an exemption: only an export (its 301/701 code) has one here
                vat_rate=rng.choice([20, 20, 10, 1, 0] if foreign else [20, 20, 10, 1]),
                discount=discount,
                hs_code="610910000000" if foreign else None,
            )
        )
    if foreign:
        address = Address(lines=["Hauptstr. 1"], district="Mitte", city="Berlin", country="DE")
    else:
        city, district, postal = rng.choice(TR)
        address = Address(
            lines=["Atatürk Cad. 5"], district=district, city=city, postal_code=postal
        )
    return Order(
        id=f"bench:{i}",
        tenant_id="bench",
        connection_id="bench",
        source="trendyol",
        order_number=str(10**8 + i),
        package_id=str(i),
        lines=lines,
        buyer=buyer(rng, foreign),
        shipping_address=address,
        invoice_address=address,
        # a micro export stays under the ETGB limit (30,000 EUR a shipment); above it, IHRACAT
        micro_export=foreign
        and rng.random() < 0.7
        and sum(x.unit_price * x.quantity for x in lines) < 25_000,
        currency="EUR" if foreign and rng.random() < 0.5 else "TRY",
        cargo_provider="Yurtiçi Kargo",
        ordered_at=T0 - timedelta(hours=rng.randint(0, 48)),
    )


def invoice(rng: random.Random, i: int) -> Invoice:
    o = order(rng, i)
    registered = o.buyer.kind is PartyKind.COMPANY and rng.random() < 0.5
    lookup = Registration(
        tax_id=o.buyer.tax_id,
        registered=registered,
        aliases=[Alias(name="urn:mail:defaultpk@buyer")] if registered else [],
        checked_at=T0,
        source="bench",
    )
    decision = decide(o, lookup, commercial=rng.random() < 0.3)
    return invoice_from_order(
        o,
        decision,
        seller=SELLER,
        number=f"KRA2026{i + 1:09d}",
        uuid=str(uuid.UUID(int=rng.getrandbits(128))),
        issued_at=T0,
        sender_alias=None,
        website="https://magaza.example",
        exchange_rate=Decimal("36.412300") if o.currency != "TRY" else None,
    )


def rate(fn: Callable[[object], object], items: list) -> tuple[float, float]:
    """Documents per second of this process's CPU time, and of wall-clock time."""
    cpu, wall = time.process_time(), time.perf_counter()
    for item in items:
        fn(item)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return len(items) / cpu, len(items) / wall


def pdf_renderer() -> Callable[[Invoice], bytes] | None:
    try:
        from kervan_ubltr.render import render_invoice_pdf
    except ImportError:
        return None
    return render_invoice_pdf


def checked(invoices: list[Invoice]) -> list[Invoice]:
    """The invoices as they leave on the order path: their draft passed in full (its content
    digest recorded), then numbering and the store (a JSON round trip)."""
    out = []
    for draft in invoices:
        marked = draft.model_copy(update={"checked_digest": draft.content_digest()})
        assert draft.number is not None
        leaving = numbered(marked, draft.number, draft.issued_at + timedelta(hours=1))
        out.append(Invoice.model_validate(leaving.model_dump(mode="json")))
    return out


def main() -> None:
    # build_valid validates through the process-wide validator: in this process, whose CPU
    # clock is the measure, not in a worker pool
    os.environ["KERVAN_VALIDATION_PROCESSES"] = "0"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    invoices = [invoice(rng, i) for i in range(args.n)]
    mix = Counter(f"{x.profile}/{x.type_code}/{x.currency}" for x in invoices)
    print("mix:", dict(mix.most_common()), file=sys.stderr)
    # building is fast enough to repeat: best of 3 passes (as timeit does) tames the noise
    build = max((rate(build_invoice, invoices) for _ in range(3)), key=lambda r: r[0])
    xmls = [build_invoice(x) for x in invoices]
    # in this process (its CPU clock is the measure), not in the engine's worker pool
    validator = Validator(processes=0)
    validator.warm_up()
    failures = sum(1 for x in xmls if not validator.validate(x).ok)
    if failures:
        raise SystemExit(f"{failures} of {len(xmls)} invoices failed validation")
    validate = rate(validator.validate, xmls)
    drafts, leaving = rate(build_valid, invoices), rate(build_valid, checked(invoices))
    render = pdf_renderer()
    pdf = rate(render, invoices) if render else None
    print(
        json.dumps(
            {
                "bench": "ubl",
                "n": args.n,
                "clock": "process_cpu",
                "build_per_s": round(build[0], 1),
                "validate_per_s": round(validate[0], 1),
                "build_valid_draft_per_s": round(drafts[0], 1),
                "build_valid_numbered_per_s": round(leaving[0], 1),
                "pdf_per_s": round(pdf[0], 1) if pdf else None,
                "wall": {
                    "build_per_s": round(build[1], 1),
                    "validate_per_s": round(validate[1], 1),
                    "pdf_per_s": round(pdf[1], 1) if pdf else None,
                    "load_avg_1m": round(os.getloadavg()[0], 2),
                },
            }
        )
    )


if __name__ == "__main__":
    main()
