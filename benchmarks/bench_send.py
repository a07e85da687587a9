"""Send to client: the time from "Send to client" (a draft: number, render the PDF,
sign it with the seller's PAdES signature, keep it, make the private link, queue
the message) to the message accepted by a
real SMTP server on 127.0.0.1 (aiosmtpd), over 20 quotes, with the PDF render
alone timed beside it on the same snapshots.

    .venv/bin/python benchmarks/bench_send.py [--quotes 20]

A fresh SQLite database under a temporary folder; nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aiosmtpd.controller import Controller  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from quoting import services  # noqa: E402
from quoting.services.outbox import SmtpMailer, deliver_due  # noqa: E402
from quoting.signing import generate_demo_pair, load_signer  # noqa: E402
from quoting.store import migrate  # noqa: E402
from quoting.store.db import make_engine  # noqa: E402
from quoting.store.models import User  # noqa: E402


class Arrivals:
    def __init__(self) -> None:
        self.times: list[float] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.times.append(time.perf_counter())
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quotes", type=int, default=20)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    folder = Path(tempfile.mkdtemp(prefix="bench-send-"))
    os.environ["QUOTING_PDF_CACHE"] = str(folder / "pdf-cache")  # every render is cold
    engine = make_engine(f"sqlite:///{folder / 'send.db'}")
    migrate.upgrade(engine)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    examples = sorted((ROOT / "examples").glob("*.json"))
    with factory() as session:
        seller = services.create_user(session, "bench@example.com", "Bench", "sales",
                                      "benchmark-password")
        refs = []
        for n in range(args.quotes):
            request = json.loads(examples[n % len(examples)].read_text(encoding="utf-8"))
            request.pop("date", None)
            refs.append(services.create_quote(session, request, seller).ref)
        session.commit()
        seller_id = seller.id

    services.use_seller_signer(load_signer(*generate_demo_pair(folder / "signing")))
    arrivals = Arrivals()
    port = free_port()
    controller = Controller(arrivals, hostname="127.0.0.1", port=port)
    controller.start()
    mailer = SmtpMailer(f"smtp://127.0.0.1:{port}", "propuestas@example.com")
    send_to_accepted: list[float] = []
    renders: list[float] = []
    try:
        for ref in refs:
            started = time.perf_counter()
            with factory() as session:
                services.send_to_client(
                    session, ref, session.get_one(User, seller_id),
                    recipients=["cfo@client.example"], subject=None, body=None,
                    seen_revision=1, public_url="https://quotes.example")
                session.commit()
            deliver_due(factory, mailer=mailer)
            send_to_accepted.append(arrivals.times[-1] - started)
            with Session(engine) as session:
                snapshot = services.revision_snapshot(session, ref, 1)
            os.environ["QUOTING_PDF_CACHE"] = str(folder / f"cold-{ref}")
            render_started = time.perf_counter()
            services.render_snapshot(snapshot)
            renders.append(time.perf_counter() - render_started)
    finally:
        controller.stop()
        engine.dispose()
    send_median, render_median = median_ms(send_to_accepted), median_ms(renders)
    print(f"send to client benchmark: {len(refs)} drafts, SMTP on 127.0.0.1, SQLite, "
          f"one process, PDFs signed (PAdES, self-signed RSA pair)")
    print(f"  machine load   {load_before:.2f} before, {os.getloadavg()[0]:.2f} after "
          f"({os.cpu_count()} cores; other work on the machine lowers every figure)")
    print(f"  'Send to client' -> accepted by the SMTP server: median {send_median:.0f} ms "
          f"(min {min(send_to_accepted) * 1000:.0f}, max {max(send_to_accepted) * 1000:.0f})")
    print(f"  of which the PDF render alone (same snapshots, cold cache): median "
          f"{render_median:.0f} ms ({render_median / send_median:.0%} of the send)")


if __name__ == "__main__":
    main()
