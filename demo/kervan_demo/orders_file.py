"""``kervan demo --orders FILE``: read a file of Trendyol packages, or say in one line what is
wrong with it.

Only what stops the Trendyol sandbox from holding the packages at all is refused here: a file
that cannot be read, text that is not JSON, JSON that is not a list of packages (or a
``getShipmentPackages`` page of them), an entry that is not an object, or one without a usable
``shipmentPackageId``. A package that is well formed but that Kervan cannot map (no ``lines``,
say) is seeded like the others: the flow keeps it as an inbox problem and invoices the rest,
which is what would happen with the real marketplace.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


class OrdersFileError(Exception):
    """What is wrong with an ``--orders`` file, in one line naming the file (and the entry)."""


def read_packages(path: Path) -> list[dict[str, Any]]:
    """The packages in ``path``: a JSON list of Trendyol packages, or a page envelope
    ``{"content": [...], ...}`` as ``getShipmentPackages`` answers."""
    data = _load_json(path)
    if isinstance(data, dict) and "content" in data:
        packages, where = data["content"], "content"
        if not isinstance(packages, list):
            raise OrdersFileError(f"{path}: 'content' is {_kind(packages)}, not a list of packages")
    elif isinstance(data, list):
        packages, where = data, ""
    else:
        raise OrdersFileError(
            f"{path}: expected a list of Trendyol packages or a getShipmentPackages page "
            f'({{"content": [...]}}), found {_kind(data)}'
        )
    if not packages:
        raise OrdersFileError(f"{path}: holds no packages")
    seen: dict[int, str] = {}
    for index, pkg in enumerate(packages):
        entry = f"{where}[{index}]"
        package_id = _package_id(path, entry, pkg)
        if package_id in seen:
            raise OrdersFileError(
                f"{path}: entry {entry} (package {package_id}): the same shipmentPackageId as "
                f"entry {seen[package_id]}"
            )
        seen[package_id] = entry
        _check_fields(path, f"entry {entry} (package {package_id})", pkg)
    return packages


def _load_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise OrdersFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise OrdersFileError(f"{path}: is a directory, not a file") from None
    except UnicodeDecodeError as exc:
        raise OrdersFileError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise OrdersFileError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if not text.strip():
        raise OrdersFileError(f"{path}: is empty")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise OrdersFileError(
            f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None


def _package_id(path: Path, entry: str, pkg: Any) -> int:
    if not isinstance(pkg, dict):
        raise OrdersFileError(
            f"{path}: entry {entry}: expected a package object, found {_kind(pkg)}"
        )
    # Trendyol's older payloads call it "id"; the sandbox takes either
    value = pkg.get("shipmentPackageId", pkg.get("id"))
    if value is None or value == "":
        raise OrdersFileError(f"{path}: entry {entry}: no shipmentPackageId")
    if isinstance(value, bool) or not (
        isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit())
    ):
        raise OrdersFileError(
            f"{path}: entry {entry}: shipmentPackageId must be a whole number, found "
            f"{_short(value)}"
        )
    return int(value)


def _check_fields(path: Path, entry: str, pkg: dict[str, Any]) -> None:
    """The few fields the sandbox itself reads when it takes a package in."""
    modified = pkg.get("lastModifiedDate")
    if modified is not None and (isinstance(modified, bool) or not isinstance(modified, int)):
        raise OrdersFileError(
            f"{path}: {entry}: lastModifiedDate must be epoch milliseconds, found "
            f"{_short(modified)}"
        )
    lines = pkg.get("lines")
    if lines is not None and not (
        isinstance(lines, list) and all(isinstance(line, dict) for line in lines)
    ):
        raise OrdersFileError(f"{path}: {entry}: lines must be a list of objects")
    status = pkg.get("status")
    if status is not None and not isinstance(status, str):
        raise OrdersFileError(f"{path}: {entry}: status must be text, found {_short(status)}")


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        keys = ", ".join(sorted(map(str, value))[:5])
        return f"an object with keys {keys}" if keys else "an empty object"
    names = {list: "a list", str: "a string", bool: "true/false", type(None): "null"}
    return names.get(type(value), "a number")


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "..."
