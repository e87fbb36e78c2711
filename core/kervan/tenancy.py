"""Tenants, users and API keys, kept in the store's platform space.

Layout (all in ``store.platform()``): kind ``tenant`` keyed by tenant id, kind ``user`` keyed by
:func:`user_key` (indexed by ``tenant_id``), kind ``api_key`` keyed by the key's public prefix
(indexed by ``user_id`` and ``tenant_id``). A key record holds only the argon2id hash of the key.

User ids are unique within a tenant, and platform admins have a namespace of their own: "ali"
in tenant A and "ali" in tenant B are two users, and creating one never tells whether the other
exists. Users stored before ids were scoped sit under their bare id; they are read (and
updated) where they are, and a new user cannot take the id of an old one of the same tenant.

:meth:`TenancyService.authenticate` caches a successful verification in-process for
``cache_ttl_s`` (60 s by default) under the SHA-256 of the key, so the argon2 cost is paid once
per key per minute rather than per request. Revoking a key, or deactivating its user or
tenant, drops it from this process's cache at once; other processes notice within the TTL.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from .domain.tenancy import ApiKey, Role, Tenant, User
from .errors import InvalidInputError, NotFoundError, PermissionDeniedError
from .security.apikeys import ApiKeyHasher, new_key, parse_key
from .store import Doc, DocumentExists, Query, Store, TenantStore, declare_kind

TENANT, USER, API_KEY = "tenant", "user", "api_key"
declare_kind(TENANT, indexes=["active"])
declare_kind(USER, indexes=["tenant_id", "active"])
declare_kind(API_KEY, indexes=["user_id", "tenant_id"])

TENANT_ROLES = frozenset(Role) - {Role.PLATFORM_ADMIN}
_CACHE_LIMIT = 10_000


class NotAuthenticated(PermissionDeniedError):
    """No valid credentials (maps to HTTP 401); the message never contains the key."""

    code = "unauthenticated"


class KeyRejected(NotAuthenticated):
    """A key that can never become valid (malformed, unknown, wrong or revoked): the API may
    remember it as bad for a while and answer without another argon2 check."""


def user_key(user_id: str, tenant_id: str | None) -> str:
    """The store key of a user: ``<tenant>/<id>``, or ``~/<id>`` for a platform admin (tenant
    and user ids have no ``/``, and no tenant id starts with ``~``)."""
    return f"{tenant_id}/{user_id}" if tenant_id is not None else f"~/{user_id}"


@dataclass(frozen=True)
class Principal:
    """Who is calling: the user behind an API key, its tenant (``None`` = platform) and roles."""

    user_id: str
    tenant_id: str | None
    roles: frozenset[Role]
    api_key_id: str | None = None

    @property
    def is_platform_admin(self) -> bool:
        return Role.PLATFORM_ADMIN in self.roles

    def can_access(self, tenant_id: str) -> bool:
        return self.is_platform_admin or self.tenant_id == tenant_id

    def require(self, *roles: Role, tenant_id: str | None = None) -> None:
        """Raise :class:`PermissionDeniedError` unless the principal has one of ``roles``
        (platform admins always pass) and, if given, may act on ``tenant_id``."""
        if tenant_id is not None and not self.can_access(tenant_id):
            raise PermissionDeniedError("this key cannot act on that tenant")
        if roles and not self.is_platform_admin and not self.roles & set(roles):
            raise PermissionDeniedError(f"requires one of: {', '.join(sorted(roles))}")


def _now() -> datetime:
    return datetime.now(UTC)


class TenancyService:
    """Create and look up tenants, users and API keys; authenticate API keys."""

    def __init__(
        self,
        store: Store,
        hasher: ApiKeyHasher | None = None,
        *,
        cache_ttl_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.hasher = hasher or ApiKeyHasher()
        self.cache_ttl_s = cache_ttl_s
        self._clock = clock
        self._cache: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<TenancyService cached={len(self._cache)}>"

    @property
    def _space(self) -> TenantStore:
        return self.store.platform()

    # -- tenants ---------------------------------------------------------------------------

    def create_tenant(self, tenant: Tenant) -> Tenant:
        """Store a new tenant; raise :class:`~kervan.store.DocumentExists` if the id is taken."""
        if tenant.created_at is None:
            tenant = tenant.model_copy(update={"created_at": _now()})
        self._space.insert(TENANT, tenant.id, tenant.model_dump(mode="json"))
        return tenant

    def get_tenant(self, tenant_id: str) -> Tenant | None:
        doc = self._space.get(TENANT, tenant_id)
        return None if doc is None else Tenant.model_validate(doc.body)

    def list_tenants(self) -> list[Tenant]:
        return [Tenant.model_validate(d.body) for d in self._space.iter_query(Query(TENANT))]

    def update_tenant(self, tenant: Tenant) -> Tenant:
        self._space.update(TENANT, tenant.id, lambda _: tenant.model_dump(mode="json"))
        if not tenant.active:
            self._forget(lambda p: p.tenant_id == tenant.id)
        return tenant

    # -- users -----------------------------------------------------------------------------

    def create_user(self, user: User) -> User:
        """Store a new user. Platform admins have no tenant; tenant users must name an
        existing tenant and cannot be platform admins."""
        if user.tenant_id is None:
            if set(user.roles) != {Role.PLATFORM_ADMIN}:
                raise InvalidInputError(
                    "a user without a tenant must have exactly the platform_admin role",
                    errors=[{"loc": ["roles"], "msg": "platform users are platform admins"}],
                )
        else:
            if Role.PLATFORM_ADMIN in user.roles:
                raise InvalidInputError(
                    "a tenant user cannot be a platform admin",
                    errors=[{"loc": ["roles"], "msg": "platform_admin needs tenant_id null"}],
                )
            if self.get_tenant(user.tenant_id) is None:
                raise NotFoundError(f"tenant {user.tenant_id} not found")
        taken = DocumentExists(f"user {user.id} already exists")
        if self._legacy_user(user.id, user.tenant_id) is not None:
            raise taken
        try:
            self._space.insert(
                USER, user_key(user.id, user.tenant_id), user.model_dump(mode="json")
            )
        except DocumentExists:
            raise taken from None
        return user

    def get_user(self, user_id: str, tenant_id: str | None = None) -> User | None:
        """User ``user_id`` of ``tenant_id`` (``None``: the platform admins)."""
        doc = self._user_doc(user_id, tenant_id)
        return None if doc is None else User.model_validate(doc.body)

    def _user_doc(self, user_id: str, tenant_id: str | None) -> Doc | None:
        found = self._space.get(USER, user_key(user_id, tenant_id))
        return found if found is not None else self._legacy_user(user_id, tenant_id)

    def _legacy_user(self, user_id: str, tenant_id: str | None) -> Doc | None:
        """A user stored under its bare id (before ids were scoped), if it is of ``tenant_id``."""
        if "/" in user_id:
            return None
        doc = self._space.get(USER, user_id)
        return doc if doc is not None and doc.body.get("tenant_id") == tenant_id else None

    def list_users(self, tenant_id: str | None = None) -> list[User]:
        return [
            User.model_validate(d.body)
            for d in self._space.iter_query(Query(USER, where={"tenant_id": tenant_id}))
        ]

    def update_user(self, user: User) -> User:
        doc = self._user_doc(user.id, user.tenant_id)
        if doc is None:
            raise NotFoundError(f"user {user.id} not found")
        self._space.update(USER, doc.key, lambda _: user.model_dump(mode="json"))
        self._forget(lambda p: p.user_id == user.id and p.tenant_id == user.tenant_id)
        return user

    # -- API keys --------------------------------------------------------------------------

    def create_api_key(
        self, user: User | str, roles: Iterable[Role] | None = None, *, tenant_id: str | None = None
    ) -> tuple[str, ApiKey]:
        """Issue a key for ``user`` (a user, or an id in ``tenant_id``; ``None``: a platform
        admin); return ``(plaintext, record)``. The plaintext is shown once and never stored.
        ``roles`` default to the user's and must be a subset."""
        found = self.get_user(user, tenant_id) if isinstance(user, str) else user
        if found is None:
            raise NotFoundError("user not found")
        granted = list(dict.fromkeys(roles)) if roles is not None else list(found.roles)
        if not granted or not set(granted) <= set(found.roles):
            raise InvalidInputError(
                "an API key's roles must be a non-empty subset of its user's roles",
                errors=[{"loc": ["roles"], "msg": "not a subset of the user's roles"}],
            )
        prefix, plaintext = new_key()
        record = ApiKey(
            id=prefix,
            user_id=found.id,
            tenant_id=found.tenant_id,
            prefix=prefix,
            hash=self.hasher.hash(plaintext),
            roles=granted,
            created_at=_now(),
        )
        self._space.insert(API_KEY, prefix, record.model_dump(mode="json"))
        return plaintext, record

    def list_api_keys(
        self, *, user_id: str | None = None, tenant_id: str | None = None
    ) -> list[ApiKey]:
        """The keys of ``tenant_id`` (``None``: the platform admins'), or only those of its
        user ``user_id``."""
        where = {"user_id": user_id} if user_id is not None else {"tenant_id": tenant_id}
        return [
            key
            for key in (
                ApiKey.model_validate(d.body)
                for d in self._space.iter_query(Query(API_KEY, where=where))
            )
            if key.tenant_id == tenant_id
        ]

    def revoke_api_key(self, key_id: str) -> ApiKey:
        doc = self._space.update(API_KEY, key_id, lambda b: {**b, "revoked": True})
        assert doc is not None
        self._forget(lambda p: p.api_key_id == key_id)
        return ApiKey.model_validate(doc.body)

    def cached(self, key: str) -> Principal | None:
        """The principal of ``key`` if it was verified lately (no store, no argon2), else
        ``None``: the API lets such a key through even from a throttled address."""
        digest = hashlib.sha256(key.encode()).hexdigest() if isinstance(key, str) else ""
        with self._lock:
            hit = self._cache.get(digest)
        return hit[1] if hit is not None and hit[0] > self._clock() else None

    def authenticate(self, key: str) -> Principal:
        """The principal behind ``key``; :class:`NotAuthenticated` if it is malformed,
        unknown, revoked, wrong (:class:`KeyRejected` for those four), or its user/tenant is
        inactive."""
        hit = self.cached(key)
        if hit is not None:
            return hit
        digest = hashlib.sha256(key.encode()).hexdigest() if isinstance(key, str) else ""
        now = self._clock()
        principal = self._verify(key)
        with self._lock:
            if len(self._cache) >= _CACHE_LIMIT:  # only valid keys get in; drop the expired
                self._cache = {d: e for d, e in self._cache.items() if e[0] > now}
            self._cache[digest] = (now + self.cache_ttl_s, principal)
        return principal

    def _verify(self, key: str) -> Principal:
        prefix = parse_key(key)
        if prefix is None:  # the format is public: no timing to hide, no argon2 to pay
            raise KeyRejected("invalid API key")
        doc = self._space.get(API_KEY, prefix)
        record = None if doc is None else ApiKey.model_validate(doc.body)
        # Always run argon2 (against a decoy when the prefix is unknown): equal timing.
        if not self.hasher.verify(record.hash if record else None, key) or record is None:
            raise KeyRejected("invalid API key")
        if record.revoked:
            raise KeyRejected("API key revoked")
        user = self.get_user(record.user_id, record.tenant_id)
        if user is None or not user.active:
            raise NotAuthenticated("API key's user is inactive")
        if user.tenant_id is not None:
            tenant = self.get_tenant(user.tenant_id)
            if tenant is None or not tenant.active:
                raise NotAuthenticated("API key's tenant is inactive")
        roles = frozenset(record.roles) & frozenset(user.roles)
        if not roles:
            raise NotAuthenticated("API key has no roles left")
        return Principal(user.id, user.tenant_id, roles, record.id)

    def _forget(self, match: Callable[[Principal], bool]) -> None:
        with self._lock:
            for digest in [d for d, (_, p) in self._cache.items() if match(p)]:
                del self._cache[digest]
