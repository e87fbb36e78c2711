"""Test-session defaults for the whole repository.

Tests and sandboxes live on loopback and on made-up hosts (``http://trendyol.sandbox``), which
production mode refuses as connection destinations (see kervan.security.destinations): the
suite runs in development mode unless a test (or the caller's environment) says otherwise.
Tests of the production rules build their own ``DestinationPolicy(mode="production")``.

The suite runs on two pytest-xdist workers (``-n 2 --dist loadfile`` in pyproject's addopts),
so two tests may run at once, and so may another person's run on the same machine: a test that
needs Redis takes a database of its own with the ``redis_url`` fixture, never a fixed number.
The slowest test files are started first (``pytest_collection_modifyitems`` below): xdist hands
out whole files in collection order, and a four-minute file handed out last would run alone at
the end while the other worker sits idle.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterator

import pytest

os.environ.setdefault("KERVAN_MODE", "development")

REDIS = "redis://127.0.0.1:6379"
#: databases a test may take, one per test at a time. 0 is left to people's own Kervan (its
#: default), 7 to bench/pipeline.py, 15 holds the locks; 8-14 were fixed per test file before,
#: and a checkout from then may still be running beside this one.
REDIS_TEST_DBS = (1, 2, 3, 4, 5, 6)
REDIS_LOCK_DB = 15
#: a lock outlives the longest test (the chaos tests' timeout is 900 s) and frees itself if the
#: run holding it was killed
REDIS_LOCK_S = 1800
REDIS_WAIT_S = 300


@pytest.fixture
def redis_url() -> Iterator[str]:
    """The URL of an empty Redis database that no other test, worker or run uses meanwhile.

    The claim is a ``SET NX`` key per database in db 15, holding a token of this process; the
    database is flushed before the test and after it, and the key deleted if it is still ours.
    When every database is taken this waits (another run's chaos test holds one for minutes)
    and then fails, naming the keys to look at."""
    import redis

    locks = redis.Redis.from_url(f"{REDIS}/{REDIS_LOCK_DB}")
    token = f"{os.getpid()}:{time.time()}"
    deadline = time.monotonic() + REDIS_WAIT_S
    while True:
        for db in REDIS_TEST_DBS:
            key = f"kervan-test-db:{db}"
            if locks.set(key, token, nx=True, ex=REDIS_LOCK_S):
                url = f"{REDIS}/{db}"
                redis.Redis.from_url(url).flushdb()
                try:
                    yield url
                finally:
                    redis.Redis.from_url(url).flushdb()
                    if locks.get(key) == token.encode():
                        locks.delete(key)
                return
        if time.monotonic() > deadline:
            pytest.fail(
                f"every Redis database in {REDIS_TEST_DBS} stayed taken for {REDIS_WAIT_S} s "
                f"(keys kervan-test-db:N in db {REDIS_LOCK_DB}; a killed run's expire after "
                f"{REDIS_LOCK_S} s)"
            )
        time.sleep(0.5)


#: the slowest test files, slowest first (``--durations`` of a serial run on two cores, in s:
#: chaos 250-550, crash 120, plugin distributions 64, orders-file demo 59, contract kit 49,
#: domain round trip 47, demo CLI 41, demo isolation 30). Files not named keep their order.
SLOW_FIRST = (
    "tests/e2e/test_chaos.py",
    "tests/e2e/test_crash.py",
    "tests/core/test_plugins_distributions.py",
    "demo/tests/test_orders_file.py",
    "sdk/tests/test_contract_kit.py",
    "tests/core/test_domain_roundtrip.py",
    "demo/tests/test_demo_cli.py",
    "demo/tests/test_isolation.py",
)
#: files whose tests are handed out one by one, not as a whole file: each chaos test runs for
#: minutes and needs no fixture of its file's, so the two run on different workers
SPLIT_FILES = frozenset({"tests/e2e/test_chaos.py", "tests/e2e/test_crash.py"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Give every test a node id of its own, then start the slowest files first (a stable
    sort: every file keeps its own order)."""
    _unique_node_ids(items)
    rank = {path: i for i, path in enumerate(SLOW_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))


def _unique_node_ids(items: list[pytest.Item]) -> None:
    """Node ids must be unique: xdist hands out and accounts for tests by node id, and of
    several tests with one id it runs one and reports one, silently.

    pytest 9.2 builds a test function's id from ``originalname`` and a parametrize callspec
    (``Function.__init__`` in _pytest/python.py), and schemathesis 4.32 makes one item per API
    operation named ``test[GET /v1/...]`` but with ``originalname`` the bare function name and
    no callspec (``SchemathesisCase._make_items`` in schemathesis/pytest/plugin.py): all 67
    operations of tests/security/test_schemathesis.py shared one id, and a two-worker run ran
    one of them (the tests missing from the first xdist try's count: 66 of 2407 today). Such an item gets its name
    back as its id, as in pytest 8; any other clash stops the run before a test is lost."""
    seen = Counter(item.nodeid for item in items)
    for item in items:
        originalname = getattr(item, "originalname", None)
        if seen[item.nodeid] > 1 and originalname and item.name.startswith(f"{originalname}["):
            assert item.parent is not None
            params = item.name[len(originalname) + 1 : -1]
            item._id = item.parent.id.child(originalname).with_params(params)
    clashes = sorted(nodeid for nodeid, n in Counter(i.nodeid for i in items).items() if n > 1)
    if clashes:
        raise pytest.UsageError(
            f"tests share a node id (xdist would run one of each): {', '.join(clashes[:5])}"
        )


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """``--dist loadfile``, except that the tests of ``SPLIT_FILES`` are units of their own."""
    if config.getoption("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class LoadFileSplittingSlowFiles(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            if nodeid.split("::", 1)[0] in SPLIT_FILES:
                return nodeid
            return super()._split_scope(nodeid)

    return LoadFileSplittingSlowFiles(config, log)
