"""Returns: claims from the marketplaces, the returns desk, and the documents they need.

See ``docs/returns.md``. :class:`~.service.Returns` is the facade; :mod:`.plan` the pure
planner; :mod:`.steps` the idempotent steps; :mod:`.fiscal` the document rule;
:mod:`.parts` exchanges and missing-part shipments; :mod:`.evidence` the packing evidence.
"""

from .record import ClaimRecord, ClaimState, Inspection
from .service import Returns, ScanResult
from .sync import SyncResult

__all__ = ["ClaimRecord", "ClaimState", "Inspection", "Returns", "ScanResult", "SyncResult"]
