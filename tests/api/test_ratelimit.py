from __future__ import annotations

from quoting.web.api.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_window_allows_the_limit_then_says_how_long_to_wait() -> None:
    clock = Clock()
    limiter = RateLimiter(2, 60, clock)
    assert limiter.hit(1) == 0
    assert limiter.hit(1) == 0
    clock.now += 15
    assert limiter.hit(1) == 45


def test_a_new_window_starts_counting_again() -> None:
    clock = Clock()
    limiter = RateLimiter(1, 60, clock)
    assert limiter.hit(7) == 0
    assert limiter.hit(7) > 0
    clock.now += 60
    assert limiter.hit(7) == 0
