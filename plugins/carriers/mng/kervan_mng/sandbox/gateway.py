"""IBM API Connect in front of the sandbox: app keys, subscriptions, the jwt and plan limits.

Everything here answers in API Connect's own shape (``{"httpCode", "httpMessage",
"moreInformation"}``), never in MNG's ``{"error": …}``: these refusals happen before MNG's code.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import Request
from fastapi.responses import JSONResponse
from kervan_sdk.http.ratelimit import RateLimit, TokenBucket
from kervan_sdk.sandbox import SimClock

from .shapes import ibm
from .state import CLIENT_ID, CLIENT_SECRET, PREFIX, PRODUCTS


@dataclass(frozen=True)
class PlanLimit:
    """A plan's rate limit: ``requests`` calls per ``per`` for one app on one API product,
    shared by all of the product's operations (API Connect applies a plan limit that way).
    ``hard`` limits refuse the call over the limit with 429; soft ones only count."""

    requests: int
    per: timedelta
    hard: bool = True

    def rate(self) -> RateLimit:
        return RateLimit(self.requests, self.per.total_seconds())


#: the sandbox's default plan limit per API product. MNG publishes no figure: this one is the
#: sandbox's own (uncertain) and generous enough for the demo; pass ``plan_limits`` to change it.
DEFAULT_PLAN_LIMIT = PlanLimit(600, timedelta(minutes=1))


def product_of(path: str) -> str | None:
    """The API product a path under ``/mngapi/api`` belongs to (None: not an API path)."""
    segment = path.removeprefix(PREFIX + "/").split("/", 1)[0].lower()
    return PRODUCTS.get(segment)


class Gateway:
    """Checks a request the way API Connect does before it reaches MNG."""

    def __init__(
        self,
        clock: SimClock,
        tokens: Mapping[str, datetime],
        *,
        subscriptions: Collection[str] | None,
        plan_limits: Mapping[str, PlanLimit | None] | None,
    ) -> None:
        self.clock = clock
        self.tokens = tokens
        #: products the app is subscribed to (None: all of them)
        self.subscriptions = None if subscriptions is None else frozenset(subscriptions)
        unknown = set(self.subscriptions or ()) | set(plan_limits or {})
        if unknown - set(PRODUCTS.values()) - {"*"}:
            raise ValueError(
                f"unknown API products {sorted(unknown - set(PRODUCTS.values()) - {'*'})}; "
                f"known: {sorted(PRODUCTS.values())}"
            )
        limits = dict(plan_limits or {})
        default = limits.pop("*", DEFAULT_PLAN_LIMIT)
        self.plan_limits: dict[str, PlanLimit | None] = {
            product: limits.get(product, default) for product in PRODUCTS.values()
        }
        self._buckets: dict[tuple[str, str], TokenBucket] = {}
        #: the API product of every call refused with 429, in order
        self.throttled: list[str] = []

    def check(self, request: Request) -> JSONResponse | None:
        """The gateway's refusal for ``request``, or None to let it through."""
        path = request.url.path
        product = product_of(path)
        if not path.startswith(PREFIX + "/") or product is None:
            return ibm(404, "Not Found", "No resources match requested URI")
        if (
            request.headers.get("x-ibm-client-id") != CLIENT_ID
            or request.headers.get("x-ibm-client-secret") != CLIENT_SECRET
        ):
            return ibm(401, "Unauthorized", "Invalid client id or secret.")
        if self.subscriptions is not None and product not in self.subscriptions:
            return ibm(
                401, "Unauthorized", "Cannot find valid subscription for the incoming API request."
            )
        busy = self._over_limit(product)
        if busy is not None:
            return busy
        if product not in ("Identity", "CBS Info") and not self._jwt_ok(request):
            return ibm(401, "Unauthorized", "Invalid or expired JWT.")
        return None

    def _jwt_ok(self, request: Request) -> bool:
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer "):
            return False
        expires = self.tokens.get(auth.removeprefix("Bearer ").strip())
        return expires is not None and self.clock.now() < expires

    def _over_limit(self, product: str) -> JSONResponse | None:
        limit = self.plan_limits.get(product)
        if limit is None:
            return None
        key = (CLIENT_ID, product)
        bucket = self._buckets.get(key)
        if bucket is None or bucket.limit != limit.rate():
            bucket = self._buckets[key] = TokenBucket(
                limit.rate(), self.clock.now, self.clock.sleep, strict=False
            )
        if bucket.try_acquire() <= 0 or not limit.hard:
            return None
        self.throttled.append(product)
        return ibm(429, "Too Many Requests", "Rate Limit exceeded")
