"""``kervan demo --orders FILE``: every fault of the file ends with exit code 2 and one line on
stderr naming the file and the entry, no traceback; a package Kervan cannot map still seeds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from kervan_demo.orders_file import OrdersFileError, read_packages

KERVAN = str(Path(sys.executable).parent / "kervan")
SAMPLES = Path(__file__).parents[2] / "plugins/marketplaces/trendyol/kervan_trendyol/samples"


def _package(package_id: int | str, **fields) -> dict:
    return {"shipmentPackageId": package_id, "lines": [], **fields}


def _run_demo(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KERVAN_HOME": str(home)}
    env.pop("KERVAN_STORE_URL", None)
    return subprocess.run(
        [KERVAN, "demo", "--exit", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _write(path: Path, content: str | bytes) -> Path:
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


FAULTS = {
    # name: (file content or None for no file, words the one line must hold)
    "missing file": (None, ["no such file"]),
    "not UTF-8": (b"\xff\xfe[{]", ["not UTF-8"]),
    "empty": ("", ["is empty"]),
    "invalid JSON": ('[{"shipmentPackageId": 1,}]', ["not valid JSON", "line 1"]),
    "wrong shape": ('{"foo": 1}', ["list of Trendyol packages", "foo"]),
    "a number": ("42", ["list of Trendyol packages", "a number"]),
    "content not a list": ('{"content": {"a": 1}}', ["'content'", "not a list"]),
    "no packages": ('{"content": []}', ["no packages"]),
    "entry without shipmentPackageId": (
        json.dumps([_package(3310001), {"orderNumber": "x", "lines": []}]),
        ["entry [1]", "no shipmentPackageId"],
    ),
    "entry of the wrong type": (
        json.dumps({"content": [_package(3310001), "3310002"]}),
        ["entry content[1]", "a string"],
    ),
    "id not a number": (
        json.dumps([_package("PKG-1")]),
        ["entry [0]", "whole number", "PKG-1"],
    ),
    "same id twice": (
        json.dumps([_package(7), _package(8), _package(7)]),
        ["entry [2] (package 7)", "entry [0]"],
    ),
    "lines not a list of objects": (
        json.dumps([_package(3310001), _package(3310002, lines="two shirts")]),
        ["entry [1] (package 3310002)", "lines"],
    ),
    "a date that is not epoch ms": (
        json.dumps([_package(5, lastModifiedDate="2026-01-01")]),
        ["entry [0] (package 5)", "lastModifiedDate"],
    ),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_each_orders_file_fault_is_one_line_and_exit_code_2(tmp_path, fault):
    content, words = FAULTS[fault]
    path = tmp_path / "orders.json"
    if content is not None:
        _write(path, content)
    proc = _run_demo(tmp_path / "home", "--orders", str(path))
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert lines[0].startswith(f"kervan demo: --orders {path}: "), lines[0]
    for word in words:
        assert word in lines[0], (word, lines[0])
    # refused before anything started: no sandbox, no store
    assert proc.stdout == ""
    assert not (tmp_path / "home" / "demo").exists()


def test_a_directory_is_not_an_orders_file(tmp_path):
    proc = _run_demo(tmp_path / "home", "--orders", str(tmp_path))
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        f"kervan demo: --orders {tmp_path}: is a directory, not a file"
    ]


def test_debug_shows_the_traceback(tmp_path):
    path = _write(tmp_path / "orders.json", '{"foo": 1}')
    proc = _run_demo(tmp_path / "home", "--orders", str(path), "--debug")
    assert proc.returncode != 0
    assert "Traceback" in proc.stderr or "OrdersFileError" in proc.stderr
    assert len(proc.stderr.splitlines()) > 1


def test_a_package_kervan_cannot_map_is_still_seeded(tmp_path, monkeypatch):
    """No ``lines``: not the file's fault but the package's. The file is accepted and the
    package goes into the sandbox with the others; the flow then keeps it as an inbox problem
    and invoices the rest, as it would with the real marketplace."""
    sample = json.loads((SAMPLES / "packages.json").read_text())["content"][0]
    damaged = {k: v for k, v in sample.items() if k != "lines"}
    damaged["shipmentPackageId"] = 990001
    path = _write(tmp_path / "orders.json", json.dumps([sample, damaged]))
    assert [p["shipmentPackageId"] for p in read_packages(path)] == [
        sample["shipmentPackageId"],
        990001,
    ]

    from kervan_demo.run import Demo, DemoOptions

    monkeypatch.setenv("KERVAN_HOME", str(tmp_path))
    demo = Demo(DemoOptions(home=tmp_path / "demo", orders_file=path), lambda _msg: None)
    try:
        demo.start()
        demo.seed()
        assert set(demo.sandboxes["trendyol"].packages) == {sample["shipmentPackageId"], 990001}
    finally:
        demo.stop()


def test_the_sample_file_in_trendyols_format_reads_whole():
    packages = read_packages(SAMPLES / "packages.json")
    assert len(packages) == len(json.loads((SAMPLES / "packages.json").read_text())["content"])


def test_the_error_names_the_file_and_the_entry(tmp_path):
    path = _write(tmp_path / "p.json", json.dumps([_package(1), [], _package(3)]))
    with pytest.raises(OrdersFileError) as caught:
        read_packages(path)
    assert str(caught.value) == f"{path}: entry [1]: expected a package object, found a list"
