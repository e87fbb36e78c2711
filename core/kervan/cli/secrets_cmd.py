"""``kervan secrets``: the key that seals connection secrets, and rotating it.

``status`` counts the secret records each key seals (so an operator knows when an old key
can go); ``rotate`` re-seals every record under a new key; ``new-key`` prints a fresh key for
``KERVAN_SECRET_KEY``. The procedure is in docs/store.md ("Rotating the secret key").
"""

from __future__ import annotations

import os
from collections import Counter

import typer

from ..connections import SECRET, rotate_secrets
from ..errors import KervanError
from ..security.cipher import encode_key, env_keys, key_id, load_cipher, new_key
from ..security.rotation import rotate_key_file
from ..store import Query, open_store
from ..store.opening import kervan_home

secrets = typer.Typer(help="The key that seals connection secrets: status and rotation.")


@secrets.command("status")
def status() -> None:
    """Which keys open the secrets, and how many secret records each seals."""
    try:
        cipher = load_cipher()
    except KervanError as exc:
        raise typer.BadParameter(exc.message) from None
    store = open_store()
    try:
        sealed: Counter[str] = Counter()
        for tenant_id in store.tenant_ids():
            for doc in store.tenant(tenant_id).iter_query(Query(SECRET)):
                token = doc.body.get("token")
                if token:
                    sealed[cipher.token_key_id(token)] += 1
    finally:
        store.close()
    source = "KERVAN_SECRET_KEY" if env_keys(os.environ) else str(kervan_home() / "secret.key")
    typer.echo(f"keys from {source}; new secrets are sealed with {cipher.current_id}")
    for kid in sorted(cipher.key_ids, key=lambda k: k != cipher.current_id):
        role = "current" if kid == cipher.current_id else "old"
        typer.echo(f"  {kid}  {role:7}  {sealed.pop(kid, 0)} records")
    for kid, n in sorted(sealed.items()):  # sealed under a key nobody gave us
        typer.echo(f"  {kid}  MISSING  {n} records cannot be opened: add that key back")
    if sealed:
        raise typer.Exit(1)


@secrets.command("rotate")
def rotate() -> None:
    """Re-seal every connection secret under a new key.

    With the key file ($KERVAN_HOME/secret.key): makes the new key, keeps the old one as
    secret.key.old-<id>, re-seals. With KERVAN_SECRET_KEY='<new>,<old>': re-seals under the
    first key. Safe to run again after a crash: records already under the new key are skipped.
    """
    store = open_store()
    try:
        keys = env_keys(os.environ)
        if keys:
            if len(keys) < 2:
                raise typer.BadParameter(
                    "KERVAN_SECRET_KEY holds one key: put the new key first and the old one "
                    "after it, KERVAN_SECRET_KEY='<new>,<old>' (kervan secrets new-key makes one)"
                )
            done = rotate_secrets(store, keys[1:], keys[0])
            typer.echo(
                f"re-sealed {done} secret records under {key_id(keys[0])}; when `kervan "
                "secrets status` shows no record under an old key, drop it from "
                "KERVAN_SECRET_KEY"
            )
            return
        home = kervan_home()
        result = rotate_key_file(store, home)
        typer.echo(
            f"new key {result.new_key_id} in {home / 'secret.key'}; re-sealed "
            f"{result.resealed} secret records. The old key stays readable as "
            f"secret.key.old-{result.old_key_id}: delete it once no backup needs it"
        )
    except KervanError as exc:
        raise typer.BadParameter(exc.message) from None
    finally:
        store.close()


@secrets.command("new-key")
def make_key() -> None:
    """Print a fresh key (base64url of 32 random bytes) for KERVAN_SECRET_KEY."""
    typer.echo(encode_key(new_key()))


def register(app: typer.Typer) -> None:
    app.add_typer(secrets, name="secrets")
