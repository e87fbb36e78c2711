"""Identity keys: a job already waiting in the queue is not queued again (OCA queue_job style).

A key is claimed before a message is enqueued and released when a worker starts on it, so an
event that arrives while the job runs queues exactly one follow-up. Claims expire, so a lost
message never blocks its key for long (the reconciler re-enqueues what is still due).

A claim is taken in two steps. :meth:`claim` holds the key briefly (``claim_s``): long enough
to enqueue, short enough that a process killed between the claim and the enqueue leaves the
order waiting seconds, not minutes. Once the message is in the queue, :meth:`hold` keeps the
key for ``ttl_s``, while the message waits its turn. The token makes ``hold`` touch only the
claim it took: a key released by a quick worker and claimed again by someone else is theirs.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Protocol

#: how long a claim holds before its message is known to be queued
CLAIM_S = 20
#: how long a queued message's key holds (a lost message delays its order at most this long)
TTL_S = 300


class IdentityKeys(Protocol):
    def claim(self, key: str) -> str | None:
        """A token if the key was free (now held for ``claim_s``), else ``None``."""
        ...

    def hold(self, key: str, token: str) -> None:
        """The message is queued: keep the key for ``ttl_s`` if it is still this claim."""
        ...

    def release(self, key: str) -> None: ...


def _token() -> str:
    return os.urandom(8).hex()


class MemoryIdentityKeys:
    def __init__(self, ttl_s: float = TTL_S, claim_s: float = CLAIM_S) -> None:
        self.ttl_s, self.claim_s = ttl_s, claim_s
        self._keys: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def claim(self, key: str) -> str | None:
        now = time.monotonic()
        with self._lock:
            held = self._keys.get(key)
            if held is not None and held[0] > now:
                return None
            token = _token()
            self._keys[key] = (now + self.claim_s, token)
            return token

    def hold(self, key: str, token: str) -> None:
        with self._lock:
            held = self._keys.get(key)
            if held is not None and held[1] == token:
                self._keys[key] = (time.monotonic() + self.ttl_s, token)

    def release(self, key: str) -> None:
        with self._lock:
            self._keys.pop(key, None)


#: EXPIRE only if the key still holds this claim's token
_HOLD = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('expire', KEYS[1], ARGV[2])
end
return 0
"""


class RedisIdentityKeys:
    def __init__(
        self, client, namespace: str = "kervan:ik", ttl_s: int = TTL_S, claim_s: int = CLAIM_S
    ) -> None:
        self.client, self.namespace = client, namespace
        self.ttl_s, self.claim_s = ttl_s, claim_s
        self._hold = client.register_script(_HOLD)

    def claim(self, key: str) -> str | None:
        token = _token()
        if self.client.set(f"{self.namespace}:{key}", token, nx=True, ex=self.claim_s):
            return token
        return None

    def hold(self, key: str, token: str) -> None:
        self._hold(keys=[f"{self.namespace}:{key}"], args=[token, self.ttl_s])

    def release(self, key: str) -> None:
        self.client.delete(f"{self.namespace}:{key}")
