"""GİB validation in worker processes: the same verdicts, a dead worker replaced, never skipped."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from kervan_ubltr import build_invoice
from kervan_ubltr.validation import Validator, pool_size_from_env, saxon_timezone

sys.path.insert(0, str(Path(__file__).parent))
from test_ubl_validation import invoice, order


@pytest.fixture(scope="module")
def pooled():
    v = Validator(processes=1)
    v.warm_up()
    yield v
    v.close()


def _verdict(report):
    return [(i.rule, i.element) for i in report.errors]


def test_the_pool_gives_the_same_verdicts_as_in_process(pooled):
    here = Validator(processes=0)
    good = build_invoice(invoice(order()))
    bad = good.replace(b"<cbc:UBLVersionID>2.1", b"<cbc:UBLVersionID>2.0")
    wrong_total = good.replace(b"<cbc:LineCountNumeric>2<", b"<cbc:LineCountNumeric>3<")
    for xml in (good, bad, wrong_total, b"<not-ubl/>"):
        for arithmetic in (True, False):
            assert _verdict(pooled.validate(xml, arithmetic=arithmetic)) == _verdict(
                here.validate_here(xml, arithmetic=arithmetic)
            )
    assert pooled.validate(good).ok and not pooled.validate(bad).ok
    assert not pooled.validate(wrong_total).ok  # our line count check ran in the worker
    assert pooled.validate(wrong_total, arithmetic=False).ok  # GİB's rules let it pass


def test_xml_built_here_goes_to_the_worker_unread_and_gets_the_same_verdicts(pooled, monkeypatch):
    import kervan_ubltr.validation as validation

    good = build_invoice(invoice(order()))
    bad = good.replace(b"<cbc:UBLVersionID>2.1", b"<cbc:UBLVersionID>2.0")
    entity = b'<!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>'
    expected = {xml: _verdict(pooled.validate(xml, line_count=True)) for xml in (good, bad, entity)}
    reads = []
    real = validation._read
    monkeypatch.setattr(validation, "_read", lambda xml: reads.append(xml) or real(xml))
    for xml, verdict in expected.items():
        report = pooled.validate(xml, arithmetic=False, line_count=True, built_here=True)
        assert _verdict(report) == verdict
    assert reads == [], "read once, in the worker, with the same hardened parser"
    # in-process there is one read, whatever the caller says
    here = Validator(processes=0)
    assert _verdict(here.validate(bad, built_here=True)) == expected[bad]
    assert reads == [bad]


def test_a_killed_worker_is_replaced_and_nothing_goes_unchecked(pooled):
    xml = build_invoice(invoice(order()))
    assert pooled.validate(xml).ok
    pool = pooled._pool
    assert pool is not None
    for pid in list(pool._processes):  # the worker dies between two documents
        os.kill(pid, signal.SIGKILL)
    bad = xml.replace(b"<cbc:UBLVersionID>2.1", b"<cbc:UBLVersionID>2.0")
    assert not pooled.validate(bad).ok  # checked (by a new worker), not waved through
    assert pooled._pool is not pool and pooled.validate(xml).ok


def test_the_pool_size_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("KERVAN_VALIDATION_PROCESSES", "0")
    assert pool_size_from_env() == 0
    monkeypatch.setenv("KERVAN_VALIDATION_PROCESSES", "2")
    assert pool_size_from_env() == 2
    monkeypatch.delenv("KERVAN_VALIDATION_PROCESSES")
    assert pool_size_from_env() == (1 if (os.cpu_count() or 1) > 1 else 0)
    monkeypatch.setenv("KERVAN_VALIDATION_PROCESSES", "many")
    with pytest.raises(ValueError, match="whole number from 0 to 16, not 'many'"):
        pool_size_from_env()


@pytest.mark.parametrize("processes", [0, 1])
def test_gib_rules_see_turkish_time(processes):
    """From 21:00 to 24:00 UTC it is already tomorrow in Istanbul: an invoice issued then
    carries tomorrow's date, and GİB's "IssueDate not after today" must judge it by Turkish
    time. Saxon's implicit timezone is checked directly (+03:00), and today's Istanbul date
    passes whatever the wall clock says."""
    v = Validator(processes=processes)
    try:
        if processes:
            zone = v._executor().submit(saxon_timezone).result()
        else:
            v.warm_up()
            zone = saxon_timezone()
        assert zone == "PT3H"
        today = datetime.now(ZoneInfo("Europe/Istanbul")).date().isoformat()
        xml = build_invoice(invoice(order()))
        xml = re.sub(rb"<cbc:IssueDate>[^<]+<", f"<cbc:IssueDate>{today}<".encode(), xml, count=1)
        report = v.validate(xml)
        assert report.ok, report.summary()
        assert os.environ.get("TZ") != "Europe/Istanbul" or processes  # ours is untouched
    finally:
        v.close()


@pytest.mark.parametrize("when", ["warmed", "starting"])
def test_workers_of_a_killed_engine_do_not_outlive_it(tmp_path, when):
    """SIGKILL gives the pool no chance to stop its workers; they must notice and exit, also
    when the engine dies before a worker has even started (it then never saw its parent)."""
    start = "v.warm_up()" if when == "warmed" else "v._executor().submit(int)"
    script = tmp_path / "engine.py"
    script.write_text(
        "import os, sys, time\n"
        "from kervan_ubltr.validation import Validator\n"
        "if __name__ == '__main__':\n"
        "    v = Validator(processes=1)\n"
        f"    {start}\n"
        "    print(*v._pool._processes, flush=True)\n"
        "    time.sleep(60)\n"
    )
    engine = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    assert engine.stdout is not None
    workers = [int(pid) for pid in engine.stdout.readline().split()]
    assert workers and all(_alive(pid) for pid in workers)
    engine.kill()
    engine.wait()
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(pid) for pid in workers), "a validation worker outlived its engine"


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has exited (its new parent reaps it)
