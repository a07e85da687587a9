"""The Prometheus metrics counted as things happen (quoting.web.ops serves them at
/metrics, with the gauges it reads at each scrape).

Kept free of Flask so the PDF renderer can time itself. They exist only once the web
app enabled them (`enable()`, from create_app): a `quoting` command run by cron or by
hand never makes one, so with PROMETHEUS_MULTIPROC_DIR in a shared environment it
leaves no file of its own there. With that variable set before the server starts
(gunicorn.conf.py), prometheus_client writes each process's values to files in the
folder and /metrics adds them up.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from prometheus_client import Histogram

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
PDF_RENDER_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 21.0, 34.0, 60.0)


@dataclass(frozen=True, slots=True)
class _Metrics:
    request_duration: Histogram
    pdf_render_duration: Histogram


_metrics: _Metrics | None = None


def multiprocess_dir() -> str | None:
    """The folder prometheus_client shares values through, if it is in that mode."""
    return os.environ.get(MULTIPROC_ENV) or os.environ.get(MULTIPROC_ENV.lower()) or None


def enable() -> None:
    """Make the metrics in this process (idempotent): the web app does, at start."""
    global _metrics
    if _metrics is not None:
        return
    directory = multiprocess_dir()
    if directory:  # prometheus_client writes there as soon as a metric exists
        Path(directory).mkdir(parents=True, exist_ok=True)
    _metrics = _Metrics(
        request_duration=Histogram(
            "quoting_http_request_duration_seconds",
            "Time to answer an HTTP request, by endpoint, method and status class",
            ("endpoint", "method", "status")),
        pdf_render_duration=Histogram(
            "quoting_pdf_render_duration_seconds",
            "Time to render a proposal PDF with WeasyPrint (cache misses only)",
            buckets=PDF_RENDER_BUCKETS),
    )


def observe_request(endpoint: str, method: str, status_code: int, seconds: float) -> None:
    if _metrics is not None:
        _metrics.request_duration.labels(endpoint, method, f"{status_code // 100}xx"
                                         ).observe(seconds)


@contextmanager
def timed_pdf_render() -> Iterator[None]:
    """Observe how long the body takes (also when it raises), once metrics are enabled."""
    started = time.perf_counter()
    try:
        yield
    finally:
        if _metrics is not None:
            _metrics.pdf_render_duration.observe(time.perf_counter() - started)
