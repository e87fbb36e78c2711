"""``open_store``: turn a store URL (or the environment) into an opened :class:`Store`."""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

from .port import Store, StoreError

log = logging.getLogger("kervan.store")


def kervan_home() -> Path:
    """``KERVAN_HOME`` or ``~/.kervan``: where the default database and key file live."""
    return Path(os.environ.get("KERVAN_HOME") or Path.home() / ".kervan")


#: files that hold tenants' data or keys: read and written by the owner only
PRIVATE_FILE = 0o600
#: their folder: nobody else may list, create or replace files in it
PRIVATE_DIR = 0o700


def private_dir(path: Path | str) -> Path:
    """Make sure the folder ``path`` exists with mode 0700 when it is Kervan's own: one it
    creates now (parents too), or ``KERVAN_HOME``. A folder the operator chose and that
    already exists (``sqlite:////srv/data/kervan.db``) keeps its mode: tightening, say,
    ``/srv/data`` could lock out what else lives there."""
    folder = Path(path).absolute()
    missing = []
    probe = folder
    while not probe.exists():
        missing.append(probe)
        probe = probe.parent
    for made in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it meanwhile
            made.mkdir(mode=PRIVATE_DIR)
        _chmod(made, PRIVATE_DIR)  # mkdir's mode is reduced by the umask
    if folder == kervan_home().absolute():
        _chmod(folder, PRIVATE_DIR)
    return folder


def private_file(path: Path | str) -> None:
    """Create ``path`` empty with mode 0600 if missing, else set 0600 on it (a file made by an
    older Kervan may be 0644)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    except FileExistsError:
        if os.stat(path).st_mode & 0o777 != PRIVATE_FILE:
            _chmod(path, PRIVATE_FILE)


def _chmod(path: Path | str, mode: int) -> None:
    """Set ``mode``; a file or folder this user does not own is left as it is, and said."""
    current = os.stat(path).st_mode & 0o777
    if current == mode:
        return
    try:
        os.chmod(path, mode)
    except PermissionError:
        log.warning("%s is mode %o and not ours to change; make it %o", path, current, mode)


def default_url() -> str:
    path = (kervan_home() / "kervan.db").absolute()
    return os.environ.get("KERVAN_STORE_URL") or f"sqlite://{path}"


def open_store(url: str | None = None) -> Store:
    """Open the store named by ``url``.

    - ``None``: ``KERVAN_STORE_URL``, else the SQLite file ``$KERVAN_HOME/kervan.db``
      (``KERVAN_HOME`` defaults to ``~/.kervan``);
    - ``sqlite:///abs/path.db`` (three slashes then an absolute path) or ``sqlite:///:memory:``
      / ``sqlite://:memory:`` (a private database that lives until ``close()``);
    - ``couchbase://host[,host]?bucket=kervan&scope=kervan&timeout=3`` (also
      ``couchbases://``), with ``KERVAN_COUCHBASE_USER`` / ``KERVAN_COUCHBASE_PASSWORD``.
    """
    url = url or default_url()
    scheme = url.split(":", 1)[0].lower()
    if scheme == "sqlite":
        from .sqlite import SqliteStore

        return SqliteStore(_sqlite_path(url))
    if scheme in ("couchbase", "couchbases"):
        from .couchbase import CouchbaseStore

        return CouchbaseStore.connect(url)
    # The URL may carry a password: name only the scheme.
    raise StoreError(f"unknown store URL scheme {scheme!r} (use sqlite:// or couchbase://)")


def _sqlite_path(url: str) -> str:
    rest = url[len("sqlite://") :]
    if rest in (":memory:", "/:memory:"):
        return ":memory:"
    if not rest.startswith("/"):
        raise StoreError("sqlite URL must be sqlite:///absolute/path.db or sqlite://:memory:")
    return "/" + rest.lstrip("/")  # sqlite:////abs/path (SQLAlchemy's spelling) works too


KERVAN_PARAMS = ("bucket", "scope", "timeout")


def couchbase_params(url: str) -> tuple[str, dict[str, str]]:
    """Split a couchbase URL into the SDK connection string and Kervan's own parameters
    (``bucket``, ``scope``, ``timeout`` in seconds); other parameters stay for the SDK."""
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query)
    ours = {k: v for k, v in pairs if k in KERVAN_PARAMS}
    rest = urlencode([(k, v) for k, v in pairs if k not in KERVAN_PARAMS])
    return f"{parts.scheme}://{parts.netloc}{parts.path}" + (f"?{rest}" if rest else ""), ours
