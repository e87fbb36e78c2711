"""``kervan demo --exit --export DIR``, the main job, run as a user runs it: a process of its
own on a fresh home. What it prints and exports is what the quick start promises."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from lxml import etree

from .conftest import run_demo

KERVAN = str(Path(sys.executable).parent / "kervan")
SAMPLES = Path(__file__).parents[2] / "plugins/marketplaces/trendyol/kervan_trendyol/samples"


def _demo(home: Path, out: Path, *extra: str) -> tuple[str, dict]:
    run = run_demo(home, out, *extra)
    return run.stdout, run.summary


def _exports_every_document_and_label(out: Path, summary: dict) -> None:
    from kervan_ubltr.validation import Validator

    validator = Validator()
    for invoice in summary["invoices"]:
        xml = (out / "documents" / f"{invoice['number']}.xml").read_bytes()
        root = etree.fromstring(xml)
        ids = root.xpath("/*/*[local-name()='ID']/text()")
        assert ids == [invoice["number"]]
        report = validator.validate_here(xml)
        assert not report.errors, (invoice["number"], report.errors[:3])
        assert (out / "documents" / f"{invoice['number']}.pdf").read_bytes().startswith(b"%PDF")
    zpl = sorted((out / "labels").glob("*.zpl"))
    assert len(zpl) == summary["labels"]
    assert all(p.read_text().lstrip().startswith("^XA") for p in zpl)
    assert all(p.read_bytes().startswith(b"%PDF") for p in (out / "labels").glob("*.pdf"))


def test_the_demo_runs_every_path_and_exports_what_it_made(default_demo):
    stdout, summary = default_demo.stdout, default_demo.summary
    assert summary["failures"] == [] and summary["held"] == []
    # 12 packages: one cancelled by its buyer, and one (five 5 kg bags of flour and ten
    # flasks, 34 desi) split by the demo's 20-desi parcel limit into two that are delivered
    assert summary["orders"] == 14 and summary["splits"] == 1
    assert summary["orders_by_state"] == {"delivered": 12, "cancelled": 2}
    assert summary["documents_by_kind"] == {"earsiv": 8, "efatura": 4, "export": 1}
    # the order cancelled by its buyer, and an e-Arşiv returned whole inside its window
    assert summary["documents_by_status"] == {"accepted": 11, "cancelled": 2}
    assert summary["labels"] == 13 and summary["cancellations"] == 1
    assert "failures: none" in stdout and "exported to" in stdout
    _exports_every_document_and_label(default_demo.out, summary)


def test_the_demo_runs_a_return_of_each_kind_and_exports_its_documents(default_demo):
    returns, out = default_demo.summary["returns"], default_demo.out
    assert returns["claims"] == 6
    assert returns["by_outcome"] == {"returned": 5, "disputed": 1}
    assert returns["by_document"] == {
        "expense_voucher": 3,  # approved, no request, exchanged
        "buyer_return_invoice": 1,  # the registered buyer's IADE
        "earsiv_cancelled": 1,  # returned whole inside the window
        "none yet": 1,  # the rejected one, disputed at Trendyol
    }
    assert returns["part_shipments"] == {"exchange": 1, "missing_part": 1}
    assert returns["expense_vouchers"] == 3 and returns["despatch_advices"] == 2
    vouchers = sorted((out / "returns").glob("KRG*.pdf"))
    assert len(vouchers) == 3 and all(p.read_bytes().startswith(b"%PDF") for p in vouchers)
    despatches = sorted((out / "returns").glob("KRI*.xml"))
    assert len(despatches) == 2
    assert all(b"faturaland" in p.read_bytes() for p in despatches)  # transport only
    assert len(list((out / "returns").glob("KRI*.pdf"))) == 2
    assert len(list((out / "returns" / "labels").glob("*.zpl"))) == 2
    assert "7 returns handled" in default_demo.stdout


def test_the_demo_picks_and_packs_every_booked_order_on_the_floor(default_demo):
    floor = default_demo.summary["floor"]
    assert floor["pick_lists"] and floor["scans"] == sum(p["units"] for p in floor["pick_lists"])
    assert len(floor["orders_packed"]) == len(set(floor["orders_packed"])) == 12
    assert set(floor["outcomes"]) <= {"packed", "slotted"}
    staff = floor["staff_report"]["staff"]
    assert {"demo-packer", "demo-picker"} <= set(staff)
    assert staff["demo-packer"]["orders"] == 12


def test_the_demo_without_a_parcel_limit_ships_every_package_whole(tmp_path):
    _, summary = _demo(tmp_path / "home", tmp_path / "out", "--max-parcel-desi", "0")
    assert summary["failures"] == [] and summary["splits"] == 0
    assert summary["orders_by_state"] == {"delivered": 11, "cancelled": 1}
    assert summary["documents_by_kind"] == {"earsiv": 8, "efatura": 3, "export": 1}


def test_the_demo_seeds_from_a_file_in_trendyols_own_format(tmp_path):
    packages = json.loads((SAMPLES / "packages.json").read_text())
    _, summary = _demo(
        tmp_path / "home", tmp_path / "out", "--orders", str(SAMPLES / "packages.json")
    )
    assert summary["orders"] == len(packages["content"])
    assert summary["failures"] == [] and summary["held"] == []
    assert set(summary["orders_by_state"]) == {"delivered"}
    numbers = {i["order"].split(":")[1] for i in summary["invoices"]}
    assert numbers == {str(p["shipmentPackageId"]) for p in packages["content"]}
    _exports_every_document_and_label(tmp_path / "out", summary)


def test_the_demo_catalog_meets_two_stores_on_one_card_and_both_show_the_figure(default_demo):
    import re

    catalog = default_demo.summary["catalog"]
    # 8 products listed on two Trendyol stores: the outlet's own barcodes merged onto them
    assert catalog["cards"] == 8 and catalog["merged_cards"] == 8
    assert catalog["listings"] == 16 and catalog["channels"] == 2
    assert catalog["push_failures"] == 0 and catalog["flagged"] == 0
    # the last push went out: no product waits for a channel at the end
    assert catalog["waiting_push"] == 0
    shown = re.search(
        r"available (\d+); trendyol shows (\d+), trendyol-outlet shows (\d+)", default_demo.stdout
    )
    assert shown is not None, default_demo.stdout[-2000:]
    assert shown.group(1) == shown.group(2) == shown.group(3)
