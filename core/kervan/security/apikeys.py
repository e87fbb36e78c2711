"""API keys: ``kv_<prefix>_<secret>``, stored only as an argon2id hash.

The prefix (12 hex chars) is public and names the stored record, so a lookup is one get; the
hash covers the whole key. argon2id is slow on purpose (≈10-20 ms with the defaults below), so
an API hot path must not pay it per request: :class:`kervan.tenancy.TenancyService` caches a
successful verification for a short TTL, keyed by the SHA-256 of the key (never the key).
"""

from __future__ import annotations

import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_KEY_RE = re.compile(r"^kv_([0-9a-f]{12})_([A-Za-z0-9_-]{32,128})$")


def new_key() -> tuple[str, str]:
    """A fresh ``(prefix, full key)``."""
    prefix = secrets.token_hex(6)
    return prefix, format_key(prefix, secrets.token_urlsafe(32))


def format_key(prefix: str, secret: str) -> str:
    return f"kv_{prefix}_{secret}"


def parse_key(key: str) -> str | None:
    """The prefix of a well-formed key, else ``None``."""
    match = _KEY_RE.match(key) if isinstance(key, str) else None
    return match.group(1) if match else None


class ApiKeyHasher:
    """argon2id with OWASP's minimum parameters (19 MiB, 2 passes) unless told otherwise."""

    def __init__(self, time_cost: int = 2, memory_cost: int = 19_456, parallelism: int = 1) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism
        )
        # verified against when the prefix is unknown, so timing does not reveal which exist
        self._decoy = self._hasher.hash(secrets.token_urlsafe(16))

    def __repr__(self) -> str:
        return "<ApiKeyHasher argon2id>"

    def hash(self, key: str) -> str:
        return self._hasher.hash(key)

    def verify(self, stored_hash: str | None, key: str) -> bool:
        try:
            return self._hasher.verify(stored_hash or self._decoy, key) and bool(stored_hash)
        except (VerificationError, InvalidHashError):
            return False
