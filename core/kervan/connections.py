"""Connections: a tenant's use of a connector, as data.

Two documents per connection, written together in one transaction: kind ``connection`` holds
the :class:`~kervan.domain.tenancy.Connection` (non-secret settings, version, health, revision)
and kind ``connection_secret`` holds the secret fields as one AES-GCM token bound to
``tenant/connection`` (see :mod:`kervan.security.cipher`). Secrets leave this module only
inside the connector's validated ``Settings`` (as ``SecretStr``); errors, logs and
:class:`Connection` objects never carry them.

Secrets are bound to where they go: a settings change that moves a destination field
(``base_url``, ``endpoint``) must give every secret again in the same request, and each
destination must pass the platform's :class:`~kervan.security.destinations.DestinationPolicy`
when saved and again when a connector is built. Each built connector is wrapped by
:func:`~kervan.security.boundary.guard`, so its errors, check results and quarantined records
are redacted of the connection's secrets (in every encoded form) before the engine, the health
record, the dead letters or the API see them.
"""

from __future__ import annotations

import builtins
import json
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from .domain.tenancy import Connection, Health
from .errors import InvalidInputError, NotFoundError
from .redaction import Redactor, remember
from .roles import Connector, ConnectorContext
from .security.boundary import guard
from .security.cipher import SecretCipher
from .security.destinations import DestinationPolicy
from .settings import ConnectorSettings
from .store import Query, Store, TenantStore, declare_kind

log = logging.getLogger("kervan.connections")
CONNECTION, SECRET = "connection", "connection_secret"
declare_kind(CONNECTION, indexes=["connector", "enabled"])
declare_kind(SECRET)
SET_MARKER = "**set**"  # what ConnectorSettings.public_dict shows for a secret that is set


def _now() -> datetime:
    return datetime.now(UTC)


def _context(tenant_id: str, connection_id: str) -> str:
    return f"kervan/connection/{tenant_id}/{connection_id}"


class ConnectionService:
    """Create, change and load connections; build connector instances cached by revision."""

    def __init__(
        self,
        store: Store,
        resolve: Callable[[str], type[Connector]],
        cipher: SecretCipher,
        *,
        clock: Callable[[], datetime] = _now,
        destinations: DestinationPolicy | None = None,
    ) -> None:
        self.store = store
        self.resolve = resolve
        self.cipher = cipher
        self.clock = clock
        #: where secrets may be sent (default: from KERVAN_MODE / KERVAN_ALLOWED_HOSTS / ...)
        self.destinations = destinations or DestinationPolicy.from_env()
        self._built: dict[tuple[str, str], tuple[int, Connector]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<ConnectionService built={len(self._built)}>"

    # -- reading ---------------------------------------------------------------------------

    def get(self, tenant_id: str, connection_id: str) -> Connection | None:
        doc = self.store.tenant(tenant_id).get(CONNECTION, connection_id)
        return None if doc is None else Connection.model_validate(doc.body)

    def require(self, tenant_id: str, connection_id: str) -> Connection:
        found = self.get(tenant_id, connection_id)
        if found is None:
            raise NotFoundError(f"connection {connection_id} not found for tenant {tenant_id}")
        return found

    def list(self, tenant_id: str, connector: str | None = None) -> list[Connection]:
        where = {"connector": connector} if connector else {}
        docs = self.store.tenant(tenant_id).iter_query(Query(CONNECTION, where=where))
        return [Connection.model_validate(d.body) for d in docs]

    def connector_class(self, key: str) -> type[Connector]:
        try:
            return self.resolve(key)
        except (LookupError, NotFoundError):
            raise InvalidInputError(
                f"unknown connector {key!r}",
                errors=[{"loc": ["connector"], "msg": "no installed plugin has this connector"}],
            ) from None

    def validate(self, connector_key: str, settings: dict[str, Any]) -> ConnectorSettings:
        """Validate ``settings`` with the connector's model and the destination policy."""
        validated = self.connector_class(connector_key).Settings.parse(settings)
        self._check_destinations(validated)
        return validated

    def _check_destinations(self, settings: ConnectorSettings) -> None:
        self.destinations.require(settings.destinations(), type(settings).allowed_hosts)

    def load_settings(self, connection: Connection) -> ConnectorSettings:
        """Decrypt, migrate (``migrate_settings``) if saved by an older version, validate."""
        cls = self.connector_class(connection.connector)
        data = {**connection.settings, **self._secrets(connection.tenant_id, connection.id)}
        if connection.settings_version < cls.settings_version:
            data = cls.migrate_settings(data, connection.settings_version)
        return cls.Settings.parse(data)

    def _secrets(self, tenant_id: str, connection_id: str) -> dict[str, str]:
        doc = self.store.tenant(tenant_id).get(SECRET, connection_id)
        if doc is None or not doc.body.get("token"):
            return {}
        plain = self.cipher.decrypt(doc.body["token"], _context(tenant_id, connection_id))
        values: dict[str, str] = json.loads(plain)
        return values

    # -- writing ---------------------------------------------------------------------------

    def create(
        self,
        tenant_id: str,
        connector_key: str,
        connection_id: str,
        settings: dict[str, Any],
        name: str | None = None,
        poll_interval_s: int = 60,
        enabled: bool = True,
    ) -> Connection:
        """Validate ``settings`` with the connector's model and store the connection."""
        cls = self.connector_class(connector_key)
        validated = self.validate(connector_key, settings)
        now = self.clock()
        connection = _model(
            id=connection_id,
            tenant_id=tenant_id,
            connector=connector_key,
            name=name,
            settings=_public(validated),
            secret_fields=sorted(validated.secret_values()),
            settings_version=cls.settings_version,
            enabled=enabled,
            poll_interval_s=poll_interval_s,
            revision=1,
            created_at=now,
            updated_at=now,
        )
        with self.store.tenant(tenant_id).transaction() as tx:
            tx.insert(CONNECTION, connection_id, connection.model_dump(mode="json"))
            tx.upsert(SECRET, connection_id, self._sealed(tenant_id, connection_id, validated))
        log.info("connection %s/%s created (%s)", tenant_id, connection_id, connector_key)
        return connection

    def update(
        self,
        tenant_id: str,
        connection_id: str,
        settings: dict[str, Any] | None = None,
        **changes: Any,
    ) -> Connection:
        """Change settings and/or ``name``, ``enabled``, ``poll_interval_s``.

        ``settings`` replaces the non-secret settings; a secret field left out (or sent back as
        the ``"**set**"`` marker) keeps its stored value, unless a destination field changes:
        then every secret must be given again (else :class:`InvalidInputError` naming them),
        so a stored credential can never be redirected to a new host. Bumps ``revision`` when
        settings change, so built connectors are rebuilt.
        """
        allowed = {"name", "enabled", "poll_interval_s", "details"}
        if set(changes) - allowed:
            raise InvalidInputError(f"cannot change {sorted(set(changes) - allowed)} here")
        t = self.store.tenant(tenant_id)
        with t.transaction() as tx:
            doc = tx.get(CONNECTION, connection_id)
            if doc is None:
                raise NotFoundError(f"connection {connection_id} not found for tenant {tenant_id}")
            current = Connection.model_validate(doc.body)
            update: dict[str, Any] = dict(changes)
            if settings is not None:
                validated = self._merge(current, settings)
                tx.upsert(SECRET, connection_id, self._sealed(tenant_id, connection_id, validated))
                update |= {
                    "settings": _public(validated),
                    "secret_fields": sorted(validated.secret_values()),
                    "settings_version": self.connector_class(current.connector).settings_version,
                    "revision": current.revision + 1,
                }
            new = _model(**{**current.model_dump(), **update, "updated_at": self.clock()})
            tx.replace(CONNECTION, connection_id, new.model_dump(mode="json"), cas=doc.cas)
        log.info("connection %s/%s updated (revision %s)", tenant_id, connection_id, new.revision)
        return new

    def _merge(self, current: Connection, settings: dict[str, Any]) -> ConnectorSettings:
        cls = self.connector_class(current.connector)
        old_secrets = self._secrets(current.tenant_id, current.id)
        old_values = {**current.settings, **old_secrets}
        if current.settings_version < cls.settings_version:
            old_values = cls.migrate_settings(old_values, current.settings_version)
        given = {k: v for k, v in settings.items() if v != SET_MARKER}
        merged = dict(given)
        for name in cls.Settings.secret_fields():
            if name not in merged and old_values.get(name) is not None:
                merged[name] = old_values[name]
        validated = cls.Settings.parse(merged)
        moved = _moved_destinations(cls.Settings, old_values, validated)
        if moved:
            missing = [n for n in validated.secret_values() if n not in given]
            if missing:
                raise InvalidInputError(
                    f"changing {', '.join(moved)} changes where this connection's secrets are "
                    f"sent: give {', '.join(missing)} again in the same request",
                    errors=[
                        {
                            "loc": [name],
                            "msg": f"required again because {', '.join(moved)} changes",
                            "type": "secret_required",
                        }
                        for name in missing
                    ],
                )
        self._check_destinations(validated)
        return validated

    def delete(self, tenant_id: str, connection_id: str) -> None:
        with self.store.tenant(tenant_id).transaction() as tx:
            if tx.get(CONNECTION, connection_id) is None:
                raise NotFoundError(f"connection {connection_id} not found for tenant {tenant_id}")
            tx.remove(CONNECTION, connection_id)
            if tx.get(SECRET, connection_id) is not None:
                tx.remove(SECRET, connection_id)
        with self._lock:
            self._built.pop((tenant_id, connection_id), None)
        log.info("connection %s/%s deleted", tenant_id, connection_id)

    def _sealed(
        self, tenant_id: str, connection_id: str, settings: ConnectorSettings
    ) -> dict[str, Any]:
        plain = json.dumps(settings.secret_values(), sort_keys=True).encode()
        token = self.cipher.encrypt(plain, _context(tenant_id, connection_id))
        return {"token": token, "key_id": self.cipher.current_id}

    # -- connectors ------------------------------------------------------------------------

    def build(
        self,
        tenant_id: str,
        connection_id: str,
        context_factory: Callable[[Connection], ConnectorContext],
    ) -> Connector:
        """The connector instance for a connection, built once per settings revision (the
        stored revision is compared before the document is validated: most calls end there)."""
        doc = self.store.tenant(tenant_id).get(CONNECTION, connection_id)
        if doc is None:
            raise NotFoundError(f"connection {connection_id} not found for tenant {tenant_id}")
        cache_key = (tenant_id, connection_id)
        with self._lock:
            hit = self._built.get(cache_key)
        if hit is not None and hit[0] == doc.body.get("revision", 0):
            return hit[1]
        connection = Connection.model_validate(doc.body)
        cls = self.connector_class(connection.connector)
        settings = self.load_settings(connection)
        self._check_destinations(settings)  # the policy or DNS may have changed since saved
        secrets = settings.secret_values().values()
        remember(secrets)  # log records are redacted of them from now on
        instance = guard(cls(settings, context_factory(connection)), Redactor(secrets))
        with self._lock:
            self._built[cache_key] = (connection.revision, instance)
        return instance

    def built(self) -> builtins.list[Connector]:
        """Every cached connector instance (to ``aclose()`` them at shutdown)."""
        with self._lock:
            return [instance for _, instance in self._built.values()]

    # -- health ----------------------------------------------------------------------------

    def record_success(
        self,
        tenant_id: str,
        connection_id: str,
        *,
        last_order_at: datetime | None = None,
        next_poll_at: datetime | None = None,
        open_problems: int | None = None,
    ) -> Connection:
        """A call to the remote worked: clear the failure streak and alert. ``open_problems``
        (records in quarantine) replaces the kept count when given; while it is not zero the
        alert says so, since those records need a person or a fix."""
        now = self.clock()

        def change(health: Health) -> Health:
            problems = health.open_problems if open_problems is None else open_problems
            return health.model_copy(
                update={
                    "last_success_at": now,
                    "consecutive_failures": 0,
                    "alert": problems_alert(problems),
                    "last_order_at": last_order_at or health.last_order_at,
                    "next_poll_at": next_poll_at or health.next_poll_at,
                    "open_problems": problems,
                }
            )

        return self._health(tenant_id, connection_id, change)

    def record_problems(self, tenant_id: str, connection_id: str, open_problems: int) -> None:
        """The connection's count of quarantined records changed (a replay settled one)."""

        def change(health: Health) -> Health:
            alert = health.alert
            if alert is None or alert == problems_alert(health.open_problems):
                alert = problems_alert(open_problems)
            return health.model_copy(update={"open_problems": open_problems, "alert": alert})

        if self.get(tenant_id, connection_id) is not None:
            self._health(tenant_id, connection_id, change)

    def record_failure(
        self,
        tenant_id: str,
        connection_id: str,
        error_message: str,
        *,
        next_poll_at: datetime | None = None,
        alert_after: int = 5,
    ) -> Connection:
        """A call to the remote failed: count it, keep the (scrubbed) message, raise an alert
        once ``alert_after`` failures in a row have happened."""
        now = self.clock()
        message = self.scrub(tenant_id, connection_id, error_message)[:500]

        def change(health: Health) -> Health:
            failures = health.consecutive_failures + 1
            alert = f"{failures} failures in a row: {message}" if failures >= alert_after else None
            return health.model_copy(
                update={
                    "last_error_at": now,
                    "last_error": message,
                    "consecutive_failures": failures,
                    "alert": alert,
                    "next_poll_at": next_poll_at or health.next_poll_at,
                }
            )

        return self._health(tenant_id, connection_id, change)

    def scrub(self, tenant_id: str, connection_id: str, text: str) -> str:
        """``text`` with every secret of the connection, in every encoded form, masked.

        Errors from a built connector are redacted already (the boundary guard); this is for
        text that reaches the connection another way (a message given by a caller)."""
        return Redactor(self._secrets(tenant_id, connection_id).values()).text(text)

    def raise_alert(self, tenant_id: str, connection_id: str, alert: str) -> Connection:
        """Flag the connection for a person (e.g. orders stopped flowing); cleared by the next
        success that proves otherwise."""
        return self._health(
            tenant_id, connection_id, lambda h: h.model_copy(update={"alert": alert[:500]})
        )

    def _health(
        self, tenant_id: str, connection_id: str, change: Callable[[Health], Health]
    ) -> Connection:
        def apply(body: dict[str, Any]) -> dict[str, Any]:
            health = change(Health.model_validate(body.get("health") or {}))
            return {**body, "health": health.model_dump(mode="json")}

        # the poller, the API and check() all record health: expect some contention
        doc = self.store.tenant(tenant_id).update(CONNECTION, connection_id, apply, attempts=200)
        assert doc is not None
        return Connection.model_validate(doc.body)


def problems_alert(open_problems: int) -> str | None:
    """The health alert for records in quarantine, or None when there are none."""
    if not open_problems:
        return None
    what = "record" if open_problems == 1 else "records"
    return f"{open_problems} remote {what} could not be mapped: see GET /v1/problems"


def _moved_destinations(
    model: type[ConnectorSettings], old: dict[str, Any], new: ConnectorSettings
) -> list[str]:
    """Destination fields whose value differs between the stored settings and ``new``."""
    try:
        before = model.model_validate(old).destinations()
    except Exception:  # stored settings no longer valid: compare the raw values
        before = {n: str(old[n]) for n in model.destination_fields() if old.get(n) is not None}
    after = new.destinations()
    return sorted(n for n in set(before) | set(after) if before.get(n) != after.get(n))


def _public(settings: ConnectorSettings) -> dict[str, Any]:
    return settings.model_dump(mode="json", exclude=set(settings.secret_fields()))


def _model(**fields: Any) -> Connection:
    """Build a Connection, turning a validation error into one that names fields only."""
    from pydantic import ValidationError

    from .settings import safe_errors

    try:
        return Connection.model_validate(fields)
    except ValidationError as exc:
        raise InvalidInputError("invalid connection", errors=safe_errors(exc)) from None


def rotate_secrets(store: Store, old_keys: list[bytes], new_key: bytes) -> int:
    """Re-encrypt every connection secret under ``new_key``; return how many were re-sealed.

    Tokens already under ``new_key`` are left alone, so an interrupted rotation can simply be
    run again. Each record is rewritten with CAS, so a concurrent settings change wins and the
    next run picks it up.
    """
    cipher = SecretCipher([new_key, *old_keys])
    done = 0
    for tenant_id in store.tenant_ids():
        t = store.tenant(tenant_id)
        for doc in t.iter_query(Query(SECRET)):
            done += _reseal(t, cipher, doc.key)
    log.info("re-encrypted %s connection secret records under key %s", done, cipher.current_id)
    return done


def _reseal(t: TenantStore, cipher: SecretCipher, connection_id: str) -> int:
    context = _context(t.tenant_id, connection_id)
    resealed: list[bool] = []

    def change(body: dict[str, Any]) -> dict[str, Any] | None:
        resealed.clear()  # a CAS retry starts over
        token = body.get("token")
        if not token or cipher.token_key_id(token) == cipher.current_id:
            return None
        plain = cipher.decrypt(token, context)
        resealed.append(True)
        return {**body, "token": cipher.encrypt(plain, context), "key_id": cipher.current_id}

    t.update(SECRET, connection_id, change)
    return len(resealed)
