"""A rate limit on page actions shared by every worker (a token bucket, asyncio)."""

from __future__ import annotations

import asyncio
import time

# Actions that make the browser talk to the portal; reading vars or failing does not.
PAGE_ACTIONS = frozenset({"goto", "click", "check", "uncheck", "fill", "select", "press", "hover"})


class RateLimiter:
    """At most `per_second` actions per second on average, bursts of up to `burst`."""

    def __init__(self, per_second: float, burst: int = 1) -> None:
        if per_second <= 0:
            raise ValueError("the rate limit must be more than 0 actions per second")
        self.interval = 1.0 / per_second
        self.burst = max(1, burst)
        self._next = time.monotonic()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:
            now = time.monotonic()
            # A quiet period earns at most `burst` actions in advance.
            self._next = max(self._next, now - self.interval * (self.burst - 1))
            wait = self._next - now
            self._next += self.interval
        if wait > 0:
            await asyncio.sleep(wait)
