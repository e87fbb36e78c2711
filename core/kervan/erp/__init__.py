"""The ERP flow: every invoiced order posted to the tenant's ERP connections, in order and
exactly once (customer card, sales invoice, payment closing, reversal, return or gider
pusulası), each posting's ERP reference kept on the order. See ``docs/erp.md``."""

from .flow import ErpFlow
from .plan import Plan, Posting, plan

__all__ = ["ErpFlow", "Plan", "Posting", "plan"]
