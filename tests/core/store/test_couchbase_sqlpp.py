"""Golden text of the SQL++ templates: any change to a statement shows up here for review."""

from __future__ import annotations

import pytest
from kervan.store import KindSpec, Query, StoreError
from kervan.store.couchbase_sqlpp import index_statements, select_statement

KINDS = {
    "order": KindSpec("order", ("status", "placed_at", "buyer.vkn")),
    "note": KindSpec("note", ()),
}


def test_index_statements_golden() -> None:
    assert index_statements("kervan", "prod", KINDS) == [
        'CREATE INDEX `ix_order_status` IF NOT EXISTS ON `kervan`.`prod`.`order`(`t`, `b`.`status`) WITH {"defer_build": true}',
        'CREATE INDEX `ix_order_placed_at` IF NOT EXISTS ON `kervan`.`prod`.`order`(`t`, `b`.`placed_at`) WITH {"defer_build": true}',
        'CREATE INDEX `ix_order_buyer_vkn` IF NOT EXISTS ON `kervan`.`prod`.`order`(`t`, `b`.`buyer`.`vkn`) WITH {"defer_build": true}',
        "BUILD INDEX ON `kervan`.`prod`.`order`(`ix_order_status`, `ix_order_placed_at`, `ix_order_buyer_vkn`)",
    ]


def test_select_statement_golden() -> None:
    q = Query(
        "order",
        where={"status": ["received", None], "buyer.vkn": "1234567890"},
        range=("placed_at", "2026-11-01", None),
        order_by="-placed_at",
        limit=20,
        offset=40,
    )
    text, params = select_statement("kervan", "prod", "acme", q)
    assert text == (
        "SELECT META(d).id AS id, d.`b` AS body, META(d).cas AS cas "
        "FROM `kervan`.`prod`.`order` AS d "
        "WHERE d.`t` = $tenant AND d.`b`.`buyer`.`vkn` IN $w0 "
        "AND (d.`b`.`status` IN $w1 OR d.`b`.`status` IS NOT VALUED) "
        "AND d.`b`.`placed_at` >= $low "
        "ORDER BY d.`b`.`placed_at` DESC, META(d).id DESC LIMIT $limit OFFSET $offset"
    )
    assert params == {
        "tenant": "acme",
        "w0": ["1234567890"],
        "w1": ["received"],
        "low": "2026-11-01",
        "limit": 20,
        "offset": 40,
    }


def test_select_statement_keyset_golden() -> None:
    q = Query("order", order_by="due_at", limit=500, after=("2026-12-07T09:00:00.000000Z", "o9"))
    text, params = select_statement("kervan", "prod", "acme", q)
    assert text == (
        "SELECT META(d).id AS id, d.`b` AS body, META(d).cas AS cas "
        "FROM `kervan`.`prod`.`order` AS d "
        "WHERE d.`t` = $tenant AND [d.`b`.`due_at`, META(d).id] > [$after_value, $after_key] "
        "ORDER BY d.`b`.`due_at` ASC, META(d).id ASC LIMIT $limit"
    )
    assert params == {
        "tenant": "acme",
        "after_key": "acme::o9",
        "after_value": "2026-12-07T09:00:00.000000Z",
        "limit": 500,
    }
    listing = Query("note", limit=50, after=(None, "n50"))
    text, params = select_statement("kervan", "prod", "acme", listing)
    assert "META(d).id > $after_key ORDER BY META(d).id ASC" in text
    assert params["after_key"] == "acme::n50"


def test_select_statement_plain_listing_golden() -> None:
    text, params = select_statement("kervan", "prod", "acme", Query("note"))
    assert text == (
        "SELECT META(d).id AS id, d.`b` AS body, META(d).cas AS cas "
        "FROM `kervan`.`prod`.`note` AS d WHERE d.`t` = $tenant ORDER BY META(d).id ASC"
    )
    assert params == {"tenant": "acme"}


def test_identifiers_cannot_inject() -> None:
    with pytest.raises(StoreError):
        select_statement("kervan", "prod", "acme", Query("order", where={"x` OR 1=1 --": 1}))
    with pytest.raises(StoreError):
        index_statements("kervan`; DROP", "prod", KINDS)
