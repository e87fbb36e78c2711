"""Document numbers: format, idempotent reservation, and no gap / no repeat under threads,
processes, failures and a process killed mid-issuance (against the SQLite store)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from kervan.errors import InvalidInputError
from kervan.numbering import (
    RESERVATION_KIND,
    counter_name,
    format_number,
    next_number,
    parse_number,
    reserve_number,
)
from kervan.store import open_store

TENANT = "acme"


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "numbers.db")


@pytest.fixture
def store(db):
    s = open_store(f"sqlite:///{db}")
    yield s.tenant(TENANT)
    s.close()


def seqs(numbers) -> list[int]:
    return sorted(parse_number(n)[2] for n in numbers)


def test_format_is_series_year_and_nine_digits():
    assert format_number("KRA", 2026, 1) == "KRA2026000000001"
    assert format_number("E2A", 2031, 123456789) == "E2A2031123456789"
    assert parse_number("KRA2026000000042") == ("KRA", 2026, 42)


@pytest.mark.parametrize(
    ("series", "year", "seq"),
    [
        ("KR", 2026, 1),
        ("kra", 2026, 1),
        ("KRAX", 2026, 1),
        ("KRA", 1999, 1),
        ("KRA", 2026, 0),
        ("KRA", 2026, 1_000_000_000),
    ],
)
def test_format_refuses_what_gib_would_reject(series, year, seq):
    with pytest.raises(InvalidInputError):
        format_number(series, year, seq)


def test_next_number_is_idempotent_per_owner(store):
    first = next_number(store, "KRA", 2026, owner_kind="invoice", owner_key="conn:1")
    again = next_number(store, "KRA", 2026, owner_kind="invoice", owner_key="conn:1")
    other = next_number(store, "KRA", 2026, owner_kind="invoice", owner_key="conn:2")
    assert first == again == "KRA2026000000001"
    assert other == "KRA2026000000002"


def test_series_and_years_count_separately(store):
    a = next_number(store, "KRA", 2026, owner_kind="invoice", owner_key="o1")
    b = next_number(store, "KRE", 2026, owner_kind="invoice", owner_key="o1")
    c = next_number(store, "KRA", 2027, owner_kind="invoice", owner_key="o1")
    assert (a, b, c) == ("KRA2026000000001", "KRE2026000000001", "KRA2027000000001")


def test_a_failed_transaction_leaves_no_gap(store):
    with pytest.raises(RuntimeError), store.transaction() as tx:
        reserve_number(tx, "KRA", 2026)
        raise RuntimeError("the invoice could not be stored")
    assert next_number(store, "KRA", 2026, owner_kind="invoice", owner_key="o") == (
        "KRA2026000000001"
    )


def test_reserving_with_the_order_in_one_transaction(store):
    """The engine's pattern: the number and the order's change commit together or not at all."""
    store.insert("order", "o1", {"state": "classified"})
    with store.transaction() as tx:
        number = reserve_number(tx, "KRA", 2026)
        doc = tx.get("order", "o1")
        tx.replace("order", "o1", {**doc.body, "invoice_number": number}, cas=doc.cas)
    assert store.get("order", "o1").body["invoice_number"] == "KRA2026000000001"


def test_threads_get_gapless_unique_numbers(store):
    numbers: list[str] = []
    lock = threading.Lock()

    def work(worker: int) -> None:
        for i in range(25):
            n = next_number(store, "KRA", 2026, owner_kind="invoice", owner_key=f"{worker}-{i}")
            # a duplicate job for the same owner must get the same number
            assert (
                next_number(store, "KRA", 2026, owner_kind="invoice", owner_key=f"{worker}-{i}")
                == n
            )
            with lock:
                numbers.append(n)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seqs(numbers) == list(range(1, 201))


WORKER = r"""
import sys, time
from kervan.store import open_store
from kervan import numbering

db, prefix, count, slow = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "slow"
if slow:  # widen the window between taking the number and committing, so a kill lands there
    original = numbering.reserve_number
    def reserve(tx, series, year):
        number = original(tx, series, year)
        time.sleep(0.003)
        return number
    numbering.reserve_number = reserve
tenant = open_store("sqlite:///" + db).tenant("acme")
for i in range(count):
    n = numbering.next_number(tenant, "KRA", 2026, owner_kind="invoice", owner_key=f"{prefix}-{i}")
    print(n, flush=True)
"""


def spawn(db: str, prefix: str, count: int, slow: bool = False) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, db, prefix, str(count), "slow" if slow else "fast"],
        stdout=subprocess.PIPE,
        text=True,
    )


def reservations(store) -> dict[str, str]:
    from kervan.store.port import Query

    docs = store.query(Query(RESERVATION_KIND, where={"owner_kind": "invoice"}))
    return {d.body["owner_key"]: d.body["number"] for d in docs}


def test_processes_get_gapless_unique_numbers(db, store):
    procs = [spawn(db, f"p{w}", 25) for w in range(4)]
    printed = []
    for p in procs:
        out, _ = p.communicate(timeout=120)
        assert p.returncode == 0
        printed += out.split()
    assert seqs(printed) == list(range(1, 101))
    assert sorted(reservations(store).values()) == sorted(printed)


def test_killed_mid_issuance_leaves_no_gap_and_a_retry_reuses(db, store):
    proc = spawn(db, "k", 10_000, slow=True)
    # let it issue a few, then kill it without warning (most likely inside a transaction)
    for _ in range(20):
        proc.stdout.readline()
    time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stdout.close()
    before = reservations(store)
    assert seqs(before.values()) == list(range(1, len(before) + 1))
    # the counter was rolled back with the transaction the kill interrupted
    assert store.counter(counter_name("KRA", 2026), delta=0) == len(before)
    # a retry of the same owners reuses what was committed and continues without a gap
    retry = spawn(db, "k", len(before) + 5)
    out, _ = retry.communicate(timeout=120)
    assert retry.returncode == 0
    numbers = out.split()
    assert numbers[: len(before)] == [before[f"k-{i}"] for i in range(len(before))]
    assert seqs(numbers) == list(range(1, len(before) + 6))


def test_a_crash_before_commit_consumes_no_number(db, store):
    crash = (
        "import os, sys\n"
        "from kervan.store import open_store\n"
        "from kervan.numbering import reserve_number\n"
        "t = open_store('sqlite:///' + sys.argv[1]).tenant('acme')\n"
        "with t.transaction() as tx:\n"
        "    reserve_number(tx, 'KRA', 2026)\n"
        "    os._exit(9)\n"
    )
    done = subprocess.run([sys.executable, "-c", crash, db], timeout=60, check=False)
    assert done.returncode == 9
    assert next_number(store, "KRA", 2026, owner_kind="invoice", owner_key="x") == (
        "KRA2026000000001"
    )
