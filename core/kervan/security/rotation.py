"""Rotating the key file: what ``kervan secrets rotate`` runs when keys live in
``$KERVAN_HOME/secret.key`` (with ``KERVAN_SECRET_KEY`` the operator rotates by changing the
variable; see docs/store.md).

Order matters for crash safety. The old key is first kept as ``secret.key.old-<id>`` (which
:func:`~kervan.security.cipher.load_cipher` still reads), then the new key replaces
``secret.key`` atomically, then every secret is re-encrypted. A crash at any point leaves every
secret readable, and running the rotation again finishes the job (it only re-seals records not
yet under the current key). Delete the ``.old-*`` file once backups no longer need it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import KervanError
from ..store import Store
from .cipher import KEY_FILE, decode_key, encode_key, key_id, load_or_create_key, new_key


@dataclass(frozen=True)
class Rotation:
    """What a rotation did: the retired and the new key ids, and records re-sealed."""

    old_key_id: str
    new_key_id: str
    resealed: int


def rotate_key_file(store: Store, home: Path, env: dict[str, str] | None = None) -> Rotation:
    """Replace ``home/secret.key`` with a fresh key and re-encrypt every connection secret."""
    from ..connections import rotate_secrets

    env = dict(os.environ) if env is None else env
    if env.get("KERVAN_SECRET_KEY", "").strip():
        raise KervanError(
            "KERVAN_SECRET_KEY is set, so the key file is not in use: rotate by setting "
            "KERVAN_SECRET_KEY='<new>,<old>' and calling rotate_secrets (docs/store.md)"
        )
    path = home / KEY_FILE
    old = load_or_create_key(path)
    retired = home / f"{KEY_FILE}.old-{key_id(old)}"
    if not retired.exists():
        os.link(path, retired)
    fresh = new_key()
    tmp = home / f"{KEY_FILE}.new"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(encode_key(fresh) + "\n")
    os.replace(tmp, path)
    older = [decode_key(p.read_text()) for p in sorted(home.glob(f"{KEY_FILE}.old-*"))]
    resealed = rotate_secrets(store, older, fresh)
    return Rotation(key_id(old), key_id(fresh), resealed)
