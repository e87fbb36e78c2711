"""``kervan admin``: the first platform-admin key of a new installation, and its keys later.

The REST API needs a platform admin to create tenants, users and their keys, and a fresh
store has none. Whoever can reach the store (``KERVAN_STORE_URL`` / ``KERVAN_HOME``) from a
shell on the server makes one here; everything after that goes through the API.
"""

from __future__ import annotations

import json
import re

import typer

from ..domain import Role, User
from ..errors import KervanError
from ..store import open_store
from ..tenancy import TenancyService

admin = typer.Typer(help="Platform admins on this installation's store: keys to the API.")

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


def _service() -> TenancyService:
    return TenancyService(open_store())


@admin.command("create-key")
def create_key(
    name: str = typer.Option(
        "admin", help="Who the key is for: the platform-admin user admin-NAME (made if new)."
    ),
) -> None:
    """Issue a platform-admin API key and print it (once: only its hash is kept)."""
    if not _NAME.match(name):
        raise typer.BadParameter(
            "use 1-40 of a-z, 0-9, '-' and '_', starting with a letter or digit"
        )
    tenancy = _service()
    try:
        user_id = f"admin-{name}"
        user = tenancy.get_user(user_id)
        if user is None:
            user = tenancy.create_user(
                User(id=user_id, tenant_id=None, name=name, roles=[Role.PLATFORM_ADMIN])
            )
        elif user.tenant_id is not None or Role.PLATFORM_ADMIN not in user.roles:
            raise typer.BadParameter(f"user {user_id} exists and is not a platform admin")
        elif not user.active:
            raise typer.BadParameter(f"user {user_id} is deactivated")
        plaintext, record = tenancy.create_api_key(user, [Role.PLATFORM_ADMIN])
    except KervanError as exc:
        raise typer.BadParameter(exc.message) from None
    finally:
        tenancy.store.close()
    typer.echo(
        f"platform-admin key {record.id} for {user_id}; send it as 'Authorization: Bearer "
        "<key>'. It is shown this once.",
        err=True,
    )
    typer.echo(plaintext)


@admin.command("list-keys")
def list_keys() -> None:
    """Platform-admin keys: id, user, created, revoked (never the key itself)."""
    tenancy = _service()
    try:
        keys = tenancy.list_api_keys(tenant_id=None)
    finally:
        tenancy.store.close()
    rows = [
        {
            "id": k.id,
            "user_id": k.user_id,
            "created_at": k.created_at.isoformat(),
            "revoked": k.revoked,
        }
        for k in keys
    ]
    typer.echo(json.dumps(rows, indent=2))


@admin.command("revoke-key")
def revoke_key(key_id: str) -> None:
    """Revoke a platform-admin key (a running server that verified it lately stops taking it
    within a minute, its verification cache's lifetime)."""
    tenancy = _service()
    try:
        if key_id not in {k.id for k in tenancy.list_api_keys(tenant_id=None)}:
            raise typer.BadParameter(f"no platform-admin key {key_id}")
        tenancy.revoke_api_key(key_id)
    finally:
        tenancy.store.close()
    typer.echo(f"revoked {key_id}", err=True)


def register(app: typer.Typer) -> None:
    app.add_typer(admin, name="admin")
