"""Failed sign-ins counted per email and per client address, in a sliding window.

In memory, per process: enough to stop password guessing against a sales
desk served by one process; a multi-process deployment would keep these
counts in a shared store.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class LoginThrottle:
    def __init__(self, per_key: int, per_address: int, window_seconds: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.per_key = per_key
        self.per_address = per_address
        self.window = window_seconds
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, name: str, now: float) -> deque[float]:
        found = self._failures.setdefault(name, deque())
        while found and found[0] <= now - self.window:
            found.popleft()
        return found

    def blocked_for(self, email: str, address: str) -> float:
        """Seconds until another attempt is allowed; 0 when it is allowed now."""
        now = self._clock()
        with self._lock:
            waits = []
            for name, limit in ((f"email:{email}", self.per_key),
                                (f"addr:{address}", self.per_address)):
                recent = self._recent(name, now)
                if len(recent) >= limit:
                    waits.append(recent[0] + self.window - now)
            return max(waits, default=0.0)

    def failed(self, email: str, address: str) -> None:
        now = self._clock()
        with self._lock:
            for name in (f"email:{email}", f"addr:{address}"):
                self._recent(name, now).append(now)

    def succeeded(self, email: str) -> None:
        with self._lock:
            self._failures.pop(f"email:{email}", None)
