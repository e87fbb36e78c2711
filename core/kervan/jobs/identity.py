"""Identity keys: a job already waiting in the queue is not queued again (OCA queue_job style).

A key is claimed when a message is enqueued and released when a worker starts on it, so an
event that arrives while the job runs queues exactly one follow-up. Claims expire, so a lost
message never blocks its key for long (the reconciler re-enqueues what is still due).
"""

from __future__ import annotations

import threading
import time
from typing import Protocol


class IdentityKeys(Protocol):
    def claim(self, key: str) -> bool: ...

    def release(self, key: str) -> None: ...


class MemoryIdentityKeys:
    def __init__(self, ttl_s: float = 300) -> None:
        self.ttl_s = ttl_s
        self._keys: dict[str, float] = {}
        self._lock = threading.Lock()

    def claim(self, key: str) -> bool:
        now = time.monotonic()
        with self._lock:
            expires = self._keys.get(key)
            if expires is not None and expires > now:
                return False
            self._keys[key] = now + self.ttl_s
            return True

    def release(self, key: str) -> None:
        with self._lock:
            self._keys.pop(key, None)


class RedisIdentityKeys:
    def __init__(self, client, namespace: str = "kervan:ik", ttl_s: int = 300) -> None:
        self.client, self.namespace, self.ttl_s = client, namespace, ttl_s

    def claim(self, key: str) -> bool:
        return bool(self.client.set(f"{self.namespace}:{key}", b"1", nx=True, ex=self.ttl_s))

    def release(self, key: str) -> None:
        self.client.delete(f"{self.namespace}:{key}")
