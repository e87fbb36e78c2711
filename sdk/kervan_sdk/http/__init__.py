"""The HTTP client base for connectors: retries, rate limits, auth, error mapping, redaction,
and limits on what a remote may send (response size, JSON depth, a deadline per call).

Typical use::

    class TrendyolClient(ApiClient):
        remote_name = "trendyol"

    client = TrendyolClient(
        "https://apigw.trendyol.com",
        context=context,
        auth=BasicAuth(settings.api_key.get_secret_value(), settings.api_secret.get_secret_value()),
        rate_limit=RateLimit(50, 10),
        secrets=settings.secret_values().values(),
    )
    body = await client.json("GET", f"/orders/{sid}", rate_key="GET /orders")
"""

from .auth import BasicAuth, BearerTokenAuth, Token, TokenProvider
from .client import IDEMPOTENT_METHODS, ApiClient, Hook, HttpEvent, Lookup
from .errors import default_error, remote_message_of, request_id_of
from .limits import DEFAULT_LIMITS, Limits, json_depth_exceeds
from .ratelimit import RateLimit, RateLimiter, TokenBucket
from .redaction import MASK, redact, redact_body, redact_headers
from .retry import DEFAULT_RETRY_STATUSES, NO_RETRY, RetryPolicy, parse_retry_after

__all__ = [
    "DEFAULT_LIMITS",
    "DEFAULT_RETRY_STATUSES",
    "IDEMPOTENT_METHODS",
    "MASK",
    "NO_RETRY",
    "ApiClient",
    "BasicAuth",
    "BearerTokenAuth",
    "Hook",
    "HttpEvent",
    "Limits",
    "Lookup",
    "RateLimit",
    "RateLimiter",
    "RetryPolicy",
    "Token",
    "TokenBucket",
    "TokenProvider",
    "default_error",
    "json_depth_exceeds",
    "parse_retry_after",
    "redact",
    "redact_body",
    "redact_headers",
    "remote_message_of",
    "request_id_of",
]
