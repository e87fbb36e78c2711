from __future__ import annotations

from decimal import Decimal

import pytest
from kervan import ConnectorContext
from kervan.domain import Address, Package, Party, PartyKind
from kervan_mng import Mng, MngSettings
from kervan_mng.sandbox import MngSandbox
from kervan_sdk.sandbox import SimClock

BASE = "http://mng.sandbox"


def make_package(cargo_key: str = "KRV0000001", **kw: object) -> Package:
    fields: dict[str, object] = {
        "id": f"pkg-{cargo_key}",
        "tenant_id": "t1",
        "order_id": f"o-{cargo_key}",
        "cargo_key": cargo_key,
        "desi": Decimal("3.2"),
        "weight_kg": Decimal("2.5"),
        "parcel_count": 1,
        "receiver": Party(
            kind=PartyKind.PERSON,
            tax_id="11111111111",
            first_name="Ayşe",
            last_name="Yılmaz",
            phone="+90 532 123 45 67",
            email="ayse@example.com",
        ),
        "address": Address(
            lines=["Caferağa Mah. Moda Cad. No:5 D:3"],
            district="Kadıköy",
            city="İstanbul",
            phone="05321234567",
        ),
        "invoice_number": "KRV2026000000001",
        "content": "Kitap",
    }
    fields.update(kw)
    return Package(**fields)  # type: ignore[arg-type]


@pytest.fixture(name="make_package")
def make_package_fixture():
    return make_package


@pytest.fixture
def clock() -> SimClock:
    return SimClock()


@pytest.fixture
def sandbox(clock: SimClock) -> MngSandbox:
    return MngSandbox(clock=clock)


@pytest.fixture
def context(sandbox: MngSandbox, clock: SimClock) -> ConnectorContext:
    return ConnectorContext(
        tenant_id="t1",
        connection_id="mng",
        transport=sandbox.transport(),
        clock=clock.now,
        sleep=clock.sleep,
    )


@pytest.fixture
async def carrier(sandbox: MngSandbox, context: ConnectorContext):
    connector = Mng(MngSettings.parse(sandbox.demo_settings(BASE)), context)
    yield connector
    await connector.aclose()


def decode_pdf_barcodes(pdf: bytes) -> list[list[str]]:
    """Every barcode on every page of ``pdf``, read from a 300 dpi raster of the page.

    Rasterizes with pdfium (pypdfium2) and decodes with zxing-cpp, both independent of the
    reportlab code that drew the label.
    """
    try:
        import pypdfium2
        import zxingcpp
    except ImportError as exc:  # pragma: no cover - the plugin's dev group installs both
        pytest.fail(f"barcode decoding needs pypdfium2 and zxing-cpp (dev group): {exc}")
    document = pypdfium2.PdfDocument(pdf)
    pages = []
    for index in range(len(document)):
        image = document[index].render(scale=300 / 72).to_pil()
        pages.append([result.text for result in zxingcpp.read_barcodes(image)])
    return pages


@pytest.fixture(name="decode_pdf_barcodes")
def decode_pdf_barcodes_fixture():
    return decode_pdf_barcodes
