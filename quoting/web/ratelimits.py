"""Rate limits counted by the `limits` library in one store, shared by the finance
API (requests per token, quoting.web.api.auth) and the sales desk's sign-in
(failed attempts per email and per address, quoting.web.auth).

`RATELIMIT_STORAGE_URI` (app config, set from the environment variable of that
name by quoting.web.SETTINGS) names the store: `memory://` by default, which
needs no server but counts in each process on its own; `redis://127.0.0.1:6379/0`
(or any store `limits` knows) is shared by every server process, so together
they allow each limit once. `RATELIMIT_KEY_PREFIX` (default `quoting`) starts
every key, so several deployments may share one Redis.
"""

from __future__ import annotations

import math
import time

from flask import Flask, current_app
from flask.typing import ResponseReturnValue
from limits import RateLimitItem, RateLimitItemPerSecond
from limits.errors import StorageError
from limits.storage import Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter
from werkzeug.exceptions import ServiceUnavailable

DEFAULT_STORAGE_URI = "memory://"
DEFAULT_KEY_PREFIX = "quoting"
STORE_TIMEOUT_SECONDS = 1.0


def init_app(app: Flask) -> None:
    # Both settings come from create_app (the environment, else these defaults).
    # wrap_exceptions: a store that cannot be reached raises StorageError,
    # answered below with 503 instead of the driver's own exception (a 500).
    uri = str(app.config["RATELIMIT_STORAGE_URI"])
    # A store that does not answer must fail fast too, not hold a server thread
    # for the operating system's connect timeout.
    options = ({"socket_connect_timeout": STORE_TIMEOUT_SECONDS,
                "socket_timeout": STORE_TIMEOUT_SECONDS}
               if uri.startswith(("redis://", "rediss://", "redis+")) else {})
    storage = storage_from_string(uri, wrap_exceptions=True, **options)
    if not isinstance(storage, Storage):
        raise ValueError("RATELIMIT_STORAGE_URI must name a synchronous store "
                         "(memory://, redis://…), not an async+ one")
    app.extensions["quoting.ratelimit"] = (
        FixedWindowRateLimiter(storage), MovingWindowRateLimiter(storage))
    app.register_error_handler(StorageError, _store_unreachable)


STORE_RETRY_SECONDS = 30


def _store_unreachable(error: StorageError) -> ResponseReturnValue:
    """Limits are not skipped when their store is down (that would reopen
    password guessing); the request is refused with 503 and Retry-After, through
    the same error pages as every other HTTP error (JSON under /api/)."""
    current_app.logger.error("rate-limit store unreachable: %s", error.storage_error)
    unavailable = ServiceUnavailable(
        "the rate-limit store cannot be reached; try again shortly",
        retry_after=STORE_RETRY_SECONDS)
    return current_app.handle_http_exception(unavailable)


def fixed_window() -> FixedWindowRateLimiter:
    """Counts reset when the window that began with the first hit ends (the API)."""
    limiter: FixedWindowRateLimiter = current_app.extensions["quoting.ratelimit"][0]
    return limiter


def moving_window() -> MovingWindowRateLimiter:
    """Counts the hits of the last `seconds`, whenever they came (sign-in failures)."""
    limiter: MovingWindowRateLimiter = current_app.extensions["quoting.ratelimit"][1]
    return limiter


def per_seconds(amount: int, seconds: int) -> RateLimitItem:
    """`amount` hits per `seconds`, under the app's key prefix."""
    return RateLimitItemPerSecond(int(amount), int(seconds),
                                  namespace=str(current_app.config["RATELIMIT_KEY_PREFIX"]))


def seconds_until(reset_time: float) -> int:
    """Whole seconds (at least 1) from now until a window's reset time."""
    return max(1, math.ceil(reset_time - time.time()))
