"""Secrets at rest (AES-GCM with rotating keys) and API key hashing (argon2id)."""

from .apikeys import ApiKeyHasher, format_key, parse_key
from .cipher import SecretCipher, SecretDecryptError, load_cipher, load_or_create_key

__all__ = [
    "ApiKeyHasher",
    "SecretCipher",
    "SecretDecryptError",
    "format_key",
    "load_cipher",
    "load_or_create_key",
    "parse_key",
]
