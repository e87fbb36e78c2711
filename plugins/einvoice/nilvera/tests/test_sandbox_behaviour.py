"""The sandbox's own knobs: seeded GİB rejections, credits, the receivers' answers."""

from __future__ import annotations

import uuid as uuidlib

import pytest
from kervan_nilvera.sandbox import NilveraSandbox
from kervan_nilvera.sandbox.state import Envelope, StoredDocument
from nilvera_testdata import BUYER_PK


def _rejected(seed: int, uuids: list[str], share: float = 0.3) -> list[bool]:
    box = NilveraSandbox(seed=seed, gib_rejection_share=share)
    out = []
    for u in uuids:
        env = Envelope("Invoice", u, "KRV2026000000001", "TEMELFATURA", "SATIS", None, "", "")
        doc = StoredDocument("einvoice", env, BUYER_PK, b"", received_at=box.clock.now())
        box._spontaneous_rejection(doc)
        out.append(doc.rejection is not None)
    return out


def test_gib_rejections_are_reproducible_from_the_seed() -> None:
    uuids = [str(uuidlib.UUID(int=i)) for i in range(50)]
    assert _rejected(1, uuids) == _rejected(1, uuids)
    assert _rejected(1, uuids) != _rejected(2, uuids)
    assert 0 < sum(_rejected(1, uuids)) < len(uuids)
    # one draw per document in arrival order: other UUIDs meet the same rejections
    others = [str(uuidlib.uuid4()) for _ in range(50)]
    assert _rejected(1, others) == _rejected(1, uuids)


def test_by_default_gib_rejects_a_small_share() -> None:
    box = NilveraSandbox()
    assert 0 < box.gib_rejection_share <= 0.05


def test_no_share_rejects_nothing() -> None:
    uuids = [str(uuidlib.UUID(int=i)) for i in range(50)]
    assert not any(_rejected(1, uuids, share=0.0))


def test_the_knobs_refuse_nonsense() -> None:
    with pytest.raises(ValueError):
        NilveraSandbox(gib_rejection_share=1.5)
    with pytest.raises(ValueError):
        NilveraSandbox(default_receiver_answer="MAYBE")
