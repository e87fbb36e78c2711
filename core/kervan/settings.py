"""The base of every connector's ``Settings`` model.

``extra="forbid"`` so a typo is an error, not a silently ignored key; ``SecretStr`` fields come
out ``writeOnly`` in the JSON schema so a panel never tries to show them; validation errors are
reported as ``{loc, msg}`` without the offending value (meltano/sdk#556 leaked a password by
echoing ``input``).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

from .errors import InvalidInputError


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

    @classmethod
    def secret_fields(cls) -> list[str]:
        return [n for n, f in cls.model_fields.items() if _is_secret(f.annotation)]

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
