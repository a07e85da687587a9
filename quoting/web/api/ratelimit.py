"""A fixed-window request counter per API token, in process memory.

Enough for one server process; several processes would each allow the limit
(a shared store such as Redis would be the next step, not needed today).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable


class RateLimiter:
    def __init__(self, limit: int, window_seconds: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window_seconds
        self._clock = clock
        self._windows: dict[int, tuple[float, int]] = {}
        self._lock = threading.Lock()

    def hit(self, key: int) -> int:
        """Count one request; 0 if allowed, else the seconds to wait (for Retry-After)."""
        now = self._clock()
        with self._lock:
            started, count = self._windows.get(key, (now, 0))
            if now - started >= self.window:
                started, count = now, 0
            if count >= self.limit:
                return max(1, math.ceil(started + self.window - now))
            self._windows[key] = (started, count + 1)
            return 0
