"""The base of every connector's ``Settings`` model.

``extra="forbid"`` so a typo is an error, not a silently ignored key; ``SecretStr`` fields come
out ``writeOnly`` in the JSON schema so a panel never tries to show them; validation errors are
reported as ``{loc, msg}`` without the offending value (meltano/sdk#556 leaked a password by
echoing ``input``).

Fields that decide where a secret is sent (a ``base_url``, an ``endpoint``) are *destination*
fields: mark them with ``json_schema_extra=DESTINATION`` and list the connector's official
hosts in ``allowed_hosts``. The connection service then refuses a destination outside those
hosts (unless the platform allows it) and asks for every secret again whenever a destination
changes; see :mod:`kervan.security.destinations`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

from .errors import InvalidInputError

#: ``json_schema_extra`` of a field that decides where secrets are sent (shown in the JSON schema
#: so a panel can say that changing it needs the secrets again)
DESTINATION: dict[str, Any] = {"x-kervan-destination": True}
#: field names taken as destinations when a settings model marks none (a third-party plugin
#: written before destinations existed still gets the protection)
CONVENTIONAL_DESTINATIONS = ("base_url", "endpoint", "url", "host", "api_url", "server")


def _mark_secrets_write_only(schema: dict[str, Any], model: type[BaseModel]) -> None:
    for name, field in model.model_fields.items():
        if _is_secret(field.annotation):
            prop = schema.get("properties", {}).get(field.alias or name)
            if prop is not None:
                prop["writeOnly"] = True
                prop["format"] = "password"


def _is_secret(annotation: Any) -> bool:
    if annotation is SecretStr:
        return True
    args = getattr(annotation, "__args__", ())
    return any(arg is SecretStr for arg in args)


class ConnectorSettings(BaseModel):
    """Subclass this for a connector's settings. Secrets must be ``SecretStr``."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra=_mark_secrets_write_only,
        hide_input_in_errors=True,
    )

    #: host names the destination fields may name in production: the remote's official and
    #: its own test/sandbox hosts. ``"*.example.com"`` allows every subdomain. Anything else
    #: needs the platform allowlist (``KERVAN_ALLOWED_HOSTS``).
    allowed_hosts: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def secret_fields(cls) -> list[str]:
        return [n for n, f in cls.model_fields.items() if _is_secret(f.annotation)]

    @classmethod
    def destination_fields(cls) -> list[str]:
        """Fields that decide where secrets are sent: those marked :data:`DESTINATION`, or,
        when none is marked, the conventional names (``base_url``, ``endpoint``...)."""
        marked = [
            n
            for n, f in cls.model_fields.items()
            if isinstance(f.json_schema_extra, dict)
            and f.json_schema_extra.get("x-kervan-destination")
        ]
        if marked:
            return marked
        secrets = set(cls.secret_fields())
        return [n for n in cls.model_fields if n in CONVENTIONAL_DESTINATIONS and n not in secrets]

    def destinations(self) -> dict[str, str]:
        """The destination fields' values (unset ones left out)."""
        out = {}
        for name in self.destination_fields():
            value = getattr(self, name)
            if value is not None:
                out[name] = str(value)
        return out

    @classmethod
    def parse(cls, data: dict[str, Any]) -> ConnectorSettings:
        """Validate ``data``; on failure raise :class:`InvalidInputError` naming fields only."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise InvalidInputError(
                f"invalid settings for {cls.__qualname__}: "
                + "; ".join(
                    f"{'.'.join(map(str, e['loc'])) or '(root)'}: {e['msg']}" for e in exc.errors()
                ),
                errors=safe_errors(exc),
            ) from None

    def public_dict(self) -> dict[str, Any]:
        """Settings without secret values (secrets replaced by a marker saying they are set)."""
        secrets = set(self.secret_fields())
        out = self.model_dump(mode="json", exclude=secrets)
        for name in secrets:
            out[name] = "**set**" if getattr(self, name) is not None else None
        return out

    def secret_values(self) -> dict[str, str]:
        out = {}
        for name in self.secret_fields():
            value = getattr(self, name)
            if value is not None:
                out[name] = value.get_secret_value()
        return out


def safe_errors(exc: ValidationError) -> list[dict[str, Any]]:
    """Pydantic errors reduced to ``{loc, msg, type}``: never the input value."""
    return [
        {"loc": [str(p) for p in e["loc"]], "msg": e["msg"], "type": e["type"]}
        for e in exc.errors(include_url=False, include_input=False, include_context=False)
    ]
