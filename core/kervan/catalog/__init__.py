"""The catalog: product cards, channel listings, the stock ledger's pushes and pricing.

See :mod:`.cards` (cards and listings), :mod:`.push` (stock and price pushes) and
:mod:`.service` (what the API, the CLI and the jobs call).
"""

from .push import ChannelPolicy, PushReport
from .service import Catalog

__all__ = ["Catalog", "ChannelPolicy", "PushReport"]
