"""The returns clerk's photos of a returned item: which files are taken, where they are kept,
and which a receipt may name.

Kept as blobs under ``claim-photo:{claim_id}:{n}`` (``n`` from a per-claim counter, so two
uploads at once never take the same key); a rejection sends those its receipt names to the
marketplace (:func:`kervan.claims.steps.reject_remote`). Trendyol takes PDF, JPEG and PNG files
of at most 10 MB with a rejection (``kervan_trendyol.claim_rules``); a photo is JPEG or PNG.
"""

from __future__ import annotations

from fastapi import UploadFile

from ..errors import InvalidInputError
from ..store.port import TenantStore

#: Trendyol takes files of at most 10 MB with a rejection
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTOS_PER_REQUEST = 10
#: one upload request's body (the gate's own limit is 1 MiB by default): two photos at the
#: largest; send big photos one by one (:mod:`kervan.api.gate` reads ``x-max-body-bytes``)
MAX_PHOTOS_BODY = 24 * 1024 * 1024
#: photo numbers a claim may use up (a bound on what one claim can put in the blob store)
MAX_PHOTOS_PER_CLAIM = 200
#: the first bytes of each image type taken (the declared type must match the content)
SIGNATURES = {"image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG\r\n\x1a\n"}


def prefix(claim_id: str) -> str:
    return f"claim-photo:{claim_id}:"


async def read(index: int, upload: UploadFile) -> tuple[bytes, str]:
    """The ``index``-th file's bytes and type, or a 422 naming it: JPEG or PNG as declared
    and as its first bytes say, at most 10 MB (never more than that is read)."""
    name = upload.filename or f"file {index + 1}"
    declared = (upload.content_type or "").split(";", 1)[0].strip().lower()

    def refuse(why: str) -> InvalidInputError:
        msg = f"photo {index + 1} ({name[:80]}): {why}"
        return InvalidInputError(msg, errors=[{"loc": ["body", "files", str(index)], "msg": why}])

    if declared not in SIGNATURES:
        raise refuse(f"type {declared or '(none)'} is not taken: send image/jpeg or image/png")
    data = await upload.read(MAX_PHOTO_BYTES + 1)
    if len(data) > MAX_PHOTO_BYTES:
        raise refuse("larger than 10 MB (the marketplace takes no bigger file)")
    if not data.startswith(SIGNATURES[declared]):
        raise refuse(f"the content is not {declared.split('/')[1].upper()}")
    return data, declared


def keep(store: TenantStore, claim_id: str, photos: list[tuple[bytes, str]]) -> list[str]:
    """Keep ``photos`` for the claim; their keys, in order. A retried upload keeps them again
    under new keys (only the keys a receipt names are ever sent)."""
    keys = []
    for data, content_type in photos:
        n = store.counter(f"claim-photo:{claim_id}")
        if n > MAX_PHOTOS_PER_CLAIM:
            raise InvalidInputError(
                f"claim {claim_id} already has {MAX_PHOTOS_PER_CLAIM} photos; no more are kept"
            )
        key = prefix(claim_id) + str(n)
        store.put_blob(key, data, content_type)
        keys.append(key)
    return keys


def check(store: TenantStore, claim_id: str, keys: list[str], loc: list[str]) -> None:
    """Every key is a photo kept for this claim, else a 422 at ``loc`` + its index."""
    for j, key in enumerate(keys):
        if not key.startswith(prefix(claim_id)) or store.get_blob(key) is None:
            why = f"no photo {key} for this claim: upload it to /returns/{{id}}/photos"
            raise InvalidInputError(
                f"{'.'.join(loc[1:])}[{j}]: {why}", errors=[{"loc": [*loc, str(j)], "msg": why}]
            )
