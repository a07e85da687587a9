"""gunicorn's settings for the sales desk, read by a plain `gunicorn wsgi:app` started in
this folder (gunicorn loads ./gunicorn.conf.py by itself; `-c gunicorn.conf.py` names it).

Environment (all optional; GUNICORN_CMD_ARGS, then the command line, override them):

  PORT                       port on 127.0.0.1 (default 8000); honcho and most
                             platforms set it
  GUNICORN_BIND              where to listen instead: host:port, [::]:port or
                             unix:/path, several separated by commas
  GUNICORN_WORKERS           worker processes (else WEB_CONCURRENCY, else CPUs + 1)
  WEB_CONCURRENCY            the same, under the name platforms set
  GUNICORN_THREADS           threads per worker (default 4)
  GUNICORN_TIMEOUT           seconds a worker may stay silent before it is killed (60)
  GUNICORN_GRACEFUL_TIMEOUT  seconds in-flight requests get after SIGTERM (30)
  GUNICORN_MAX_REQUESTS      requests before a worker is replaced (10000, 0: never),
                             plus a random 0..GUNICORN_MAX_REQUESTS_JITTER (1000)
  GUNICORN_KEEPALIVE         seconds an idle keep-alive connection is kept (5)
  PROMETHEUS_MULTIPROC_DIR   the folder where each worker writes its metrics so that
                             /metrics adds them up; unset with more than one worker:
                             a temporary folder made at start and removed at exit
  LOG_FORMAT, QUOTING_ENV    gunicorn's own messages as JSON lines too (as the app's)

The access log is JSON lines on stdout, one a request, with the request's id (the
X-Request-ID the app answered with).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gunicorn import glogging

from quoting import logs

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def _whole_number(name: str, default: int, *, least: int = 1) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < least:
        raise ValueError(f"environment variable {name} must be a whole number of "
                         f"{least} or more; got {raw!r}")
    return int(raw)


def _cpus() -> int:
    """The CPUs this process may run on (a container's cpuset, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


# --- where to listen ----------------------------------------------------------------
# 127.0.0.1 unless told otherwise: the desk is meant to sit behind a reverse proxy
# that terminates HTTPS (QUOTING_ENV=production makes the cookies Secure).
_bind = os.environ.get("GUNICORN_BIND", "").strip()
bind = ([address.strip() for address in _bind.split(",") if address.strip()] if _bind
        else [f"127.0.0.1:{_whole_number('PORT', 8000)}"])

# --- how many -------------------------------------------------------------------------
# A proposal render (WeasyPrint) is CPU-bound and holds the GIL: more processes than
# CPUs only add memory (a worker with WeasyPrint loaded takes ~150 MB). Threads
# overlap what waits: the database, SMTP, Redis. threads > 1 makes gunicorn use its
# gthread worker, which also keeps idle keep-alive connections off the threads.
workers = _whole_number("GUNICORN_WORKERS",
                        _whole_number("WEB_CONCURRENCY", _cpus() + 1))
threads = _whole_number("GUNICORN_THREADS", 4)

# --- recycling and time limits ----------------------------------------------------------
# WeasyPrint's memory grows a little with each render (font and style caches): a
# worker is replaced after this many requests, the jitter keeping workers from
# restarting together.
max_requests = _whole_number("GUNICORN_MAX_REQUESTS", 10_000, least=0)
max_requests_jitter = _whole_number("GUNICORN_MAX_REQUESTS_JITTER", 1000, least=0)
# A large proposal renders in a few seconds; a worker silent for a minute is stuck.
timeout = _whole_number("GUNICORN_TIMEOUT", 60)
# On SIGTERM (a deploy, `systemctl stop`, Ctrl+C), requests in flight get this long
# to finish before their worker is killed.
graceful_timeout = _whole_number("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Above the 2 s default so a browser's next page reuses its connection; keep it below
# the idle timeout of a load balancer in front, if it keeps upstream connections open.
keepalive = _whole_number("GUNICORN_KEEPALIVE", 5)
# The heartbeat files in memory, not on a disk that may stall.
if Path("/dev/shm").is_dir():
    worker_tmp_dir = "/dev/shm"

# gunicorn 25.1+ opens a control socket for `gunicornc`, by default at one path per
# user ($HOME/.gunicorn/gunicorn.ctl), which two servers of the same user would share.
# Off here; older gunicorns ignore the name.
control_socket_disable = True

# --- preloading ---------------------------------------------------------------------------
# Not preloaded: each worker imports the app and opens its own database pool and Redis
# clients. Preloading would save some memory and boot time, but create_app builds the
# SQLAlchemy engine in the master, and a pool shared across fork hands two processes
# one connection. If you turn it on (`--preload`), post_fork below drops the inherited
# pool (engine.dispose(close=False)), as SQLAlchemy advises.
preload_app = False

# --- logs ---------------------------------------------------------------------------------
accesslog = "-"  # stdout; `--access-logfile PATH` in GUNICORN_CMD_ARGS for a file
errorlog = "-"  # stderr
loglevel = "info"
_JSON_LINES = logs.json_wanted(os.environ.get("LOG_FORMAT"), os.environ.get("QUOTING_ENV"))


def access_entry(atoms: dict[str, Any]) -> dict[str, Any]:
    """One request of the access log, from gunicorn's atoms (not escaped: json.dumps
    escapes them)."""
    def atom(key: str) -> Any:
        value = atoms.get(key)
        return None if value in (None, "-") else value

    status = str(atom("s") or "")
    return {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "level": "INFO",
        "logger": "gunicorn.access",
        "request_id": atom("{x-request-id}o") or atom("{x-request-id}i"),
        "remote_addr": atom("h"),
        "method": atom("m"),
        "path": atom("U"),
        "query": atom("q") or None,
        "protocol": atom("H"),
        "status": int(status) if status.isdigit() else status or None,
        "bytes": atom("B"),
        "duration_ms": round(int(atoms.get("D") or 0) / 1000, 3),
        "referer": atom("f"),
        "user_agent": atom("a"),
        "process": os.getpid(),
    }


class JsonLinesLogger(glogging.Logger):
    """gunicorn's logger with the access log as JSON lines (and its own messages too
    when LOG_FORMAT or QUOTING_ENV asks for JSON)."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        if _JSON_LINES:
            for handler in self.error_log.handlers:
                handler.setFormatter(logs.JsonFormatter())

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if not self.cfg.accesslog:
            return
        atoms = self.atoms(resp, req, environ, request_time)
        self.access_log.info(json.dumps(access_entry(atoms), ensure_ascii=False,
                                        default=str))


logger_class = JsonLinesLogger

# --- hooks ----------------------------------------------------------------------------------
_made_multiproc_dir: list[str] = []


def on_starting(server: Any) -> None:
    """Master, at start: the metrics folder, emptied of a previous run's files (each
    worker writes its own; stale ones would be added to the new run's values)."""
    directory = os.environ.get(MULTIPROC_ENV)
    if not directory and server.cfg.workers > 1:
        directory = tempfile.mkdtemp(prefix="quoting-metrics-")
        _made_multiproc_dir.append(directory)
        os.environ[MULTIPROC_ENV] = directory  # the workers inherit it
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        for stale in Path(directory).glob("*.db"):
            stale.unlink()


def post_fork(server: Any, worker: Any) -> None:
    """Worker, just forked: with --preload, the app (and its engine) came from the
    master; drop the pool's inherited connections so this worker opens its own."""
    preloaded = sys.modules.get("wsgi")
    if preloaded is not None and hasattr(preloaded, "app"):
        from quoting.web import ops

        ops.dispose_engine_after_fork(preloaded.app)


def child_exit(server: Any, worker: Any) -> None:
    """Master, a worker gone (max_requests, a crash, a restart): tell prometheus_client,
    so gauges kept per live process drop it (the desk's gauges are read at each scrape,
    so this matters only for ones added later in `livesum`/`liveall` modes)."""
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def on_exit(server: Any) -> None:
    """Master, stopping: remove the temporary metrics folder made at start, if any."""
    for directory in _made_multiproc_dir:
        shutil.rmtree(directory, ignore_errors=True)
