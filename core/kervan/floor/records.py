"""The floor's documents in the tenant's store (kinds declared here, once).

- ``floor_order`` (key: order id): the order as the floor works it — what it still needs per
  barcode, what was scanned, its slot, station and packer, its pick list (the picker never sees
  this link: pick lists carry no orders).
- ``floor_pack_queue`` (key: barcode): every order waiting for that product, with what the
  station ranks by. One document read answers a scan (see :mod:`kervan.floor.station`), so a
  scan costs the same with 2,000 or 200,000 open orders.
- ``floor_pack_scan`` / ``floor_pick_scan`` (key: the client's scan id): each scan's outcome, so
  a replayed scan returns the first answer and changes nothing.
- ``floor_pick_list`` (key: list id): lines by product and bin, quantities picked, shorts.
- ``floor_rules`` (key ``rules``): the tenant's picking rule set.
"""

from __future__ import annotations

from ..store.port import declare_kind

FLOOR_ORDER = "floor_order"
PACK_QUEUE = "floor_pack_queue"
PACK_SCAN = "floor_pack_scan"
PICK_SCAN = "floor_pick_scan"
PICK_LIST = "floor_pick_list"
RULES = "floor_rules"
RULES_KEY = "rules"

declare_kind(FLOOR_ORDER, ("status", "station", "pick_list", "ship_by"))
declare_kind(PACK_QUEUE, ())
declare_kind(PACK_SCAN, ("packer", "at"))
declare_kind(PICK_SCAN, ("picker", "at"))
declare_kind(PICK_LIST, ("target", "status", "created_at"))
declare_kind(RULES, ())

#: floor_order.status values; LEFT: it left BOOKED without being packed here (shipped,
#: cancelled before it reached a table, or gone)
QUEUED, ON_TABLE, PACKED, CANCELLED, LEFT = "queued", "on_table", "packed", "cancelled", "left"
