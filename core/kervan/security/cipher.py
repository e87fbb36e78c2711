"""Encryption of connection secrets at rest: AES-256-GCM with a key ring.

A token is ``v1:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>``. The key id (8 hex chars of
the key's SHA-256) says which key of the ring sealed it, so rotation can add a new current key,
keep the old ones for reading, and re-encrypt at leisure (:func:`kervan.connections.rotate_secrets`).
Each token is bound to a context string (tenant and connection) as associated data: a token
copied into another connection's record does not decrypt.

The key comes from ``KERVAN_SECRET_KEY`` (base64url of 32 bytes; a comma-separated list means
"current first, then older keys still accepted for reading") or, when that is unset, from the
file ``$KERVAN_HOME/secret.key``, created on first use with mode 0600; files
``secret.key.old-<key id>`` left by :func:`kervan.security.rotation.rotate_key_file` are
read as older keys.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..errors import KervanError

log = logging.getLogger("kervan.security")
_VERSION = "v1"
KEY_FILE = "secret.key"


class SecretDecryptError(KervanError):
    """A stored secret could not be decrypted: wrong key ring or tampered record."""

    code = "secret_decrypt_failed"


def new_key() -> bytes:
    """A fresh random 256-bit key."""
    return AESGCM.generate_key(bit_length=256)


def encode_key(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode("ascii")


def decode_key(text: str) -> bytes:
    try:
        key = base64.urlsafe_b64decode(text.strip().encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise KervanError("secret key is not base64url text") from None
    if len(key) != 32:
        raise KervanError(f"secret key must be 32 bytes, got {len(key)}")
    return key


def key_id(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:8]


class SecretCipher:
    """Seals with the first key of the ring, opens with any of them."""

    def __init__(self, keys: Sequence[bytes]) -> None:
        if not keys:
            raise KervanError("a secret cipher needs at least one key")
        self._ring = {key_id(k): AESGCM(k) for k in reversed(keys)}
        self.current_id = key_id(keys[0])
        self._current = self._ring[self.current_id]

    def __repr__(self) -> str:
        return f"<SecretCipher current={self.current_id} keys={len(self._ring)}>"

    @property
    def key_ids(self) -> list[str]:
        return list(self._ring)

    def encrypt(self, plaintext: bytes, context: str) -> str:
        nonce = secrets.token_bytes(12)
        sealed = self._current.encrypt(nonce, plaintext, context.encode())
        blob = base64.urlsafe_b64encode(nonce + sealed).decode("ascii")
        return f"{_VERSION}:{self.current_id}:{blob}"

    def token_key_id(self, token: str) -> str:
        parts = token.split(":", 2)
        if len(parts) != 3 or parts[0] != _VERSION:
            raise SecretDecryptError("stored secret is not a v1 token")
        return parts[1]

    def decrypt(self, token: str, context: str) -> bytes:
        kid = self.token_key_id(token)
        aead = self._ring.get(kid)
        if aead is None:
            raise SecretDecryptError(
                f"stored secret was sealed with key {kid}, which is not in the key ring "
                f"(have {self.key_ids}); add the old key to KERVAN_SECRET_KEY after the new one"
            )
        try:
            raw = base64.urlsafe_b64decode(token.split(":", 2)[2].encode("ascii"))
            return aead.decrypt(raw[:12], raw[12:], context.encode())
        except (InvalidTag, binascii.Error, ValueError):
            raise SecretDecryptError(
                "stored secret failed authentication (tampered, or moved from another record)"
            ) from None


def load_or_create_key(path: Path) -> bytes:
    """Read the key file, or create it (mode 0600, never overwriting) on first run."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            log.warning(
                "secret key file %s is readable by others (mode %o); chmod 600 it", path, mode
            )
        return decode_key(path.read_text())
    key = new_key()
    with os.fdopen(fd, "w") as fh:
        fh.write(encode_key(key) + "\n")
    log.info("created secret key file %s (mode 600); back it up with the database", path)
    return key


def env_keys(env: Mapping[str, str]) -> list[bytes]:
    """The keys of ``KERVAN_SECRET_KEY`` (comma-separated, the sealing key first); none when
    it is unset, and then the key file is used."""
    text = env.get("KERVAN_SECRET_KEY", "").strip()
    return [decode_key(part) for part in text.split(",") if part.strip()]


def load_cipher(env: dict[str, str] | None = None) -> SecretCipher:
    """The cipher from ``KERVAN_SECRET_KEY`` or ``$KERVAN_HOME/secret.key``."""
    from ..store.opening import kervan_home, private_dir

    env = dict(os.environ) if env is None else env
    keys = env_keys(env)
    if keys:
        return SecretCipher(keys)
    home = Path(env["KERVAN_HOME"]) if env.get("KERVAN_HOME") else kervan_home()
    private_dir(home)
    current = load_or_create_key(home / KEY_FILE)
    # keys retired by rotate_key_file stay readable until their files are deleted
    retired = [decode_key(p.read_text()) for p in sorted(home.glob(f"{KEY_FILE}.old-*"))]
    return SecretCipher([current, *retired])
