"""The gider pusulası builder lives in the core (:mod:`kervan.vouchers`), so the engine can
call it without importing a plugin; re-exported here for plugin authors. This plugin renders
it (:func:`kervan_ubltr.render.render_expense_voucher_pdf`)."""

from __future__ import annotations

from kervan.vouchers import expense_voucher

__all__ = ["expense_voucher"]
