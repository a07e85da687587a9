"""The load scenario (run by benchmarks/bench_load.py, which prepares the data):
salespeople browse the desk list, open quotes, type into the live price, save and
preview PDFs; finance pulls pages, quotes, the summary and a filtered export;
clients open their private links. Only ever against 127.0.0.1.

LOAD_DATA names a JSON file: {"sales": [[email, password], ...], "token": "...",
"refs": [...], "numbers": [...], "links": [...], "form": {...}}.
"""

from __future__ import annotations

import json
import os
import random
import re
from pathlib import Path
from typing import Any

from locust import HttpUser, between, task

DATA: dict[str, Any] = json.loads(Path(os.environ["LOAD_DATA"]).read_text(encoding="utf-8"))
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
MARKETS = ("AR", "MX", "EC", "CO", "CL", "PE", "ES")
# Each simulated person's pause between two requests, in seconds (LOAD_WAIT="low,high").
WAIT = tuple(float(x) for x in os.environ.get("LOAD_WAIT", "0.2,1").split(","))


class Salesperson(HttpUser):
    weight = 6
    wait_time = between(*WAIT)

    def on_start(self) -> None:
        email, password = random.choice(DATA["sales"])
        page = self.client.get("/login", name="login page").text
        found = CSRF.search(page)
        self.client.post("/login", data={"email": email, "password": password,
                                         "csrf_token": found.group(1) if found else ""},
                         name="sign in")
        form_page = self.client.get("/quotes/new", name="quote form").text
        found = CSRF.search(form_page)
        self.csrf = found.group(1) if found else ""

    @task(5)
    def desk_list(self) -> None:
        self.client.get("/", name="desk list")

    @task(2)
    def desk_list_filtered(self) -> None:
        self.client.get(f"/?market={random.choice(MARKETS)}&status=sent",
                        name="desk list filtered")

    @task(1)
    def desk_search(self) -> None:
        self.client.get(f"/?q={random.choice(['grupo', 'distrib', 'logist', 'andes'])}",
                        name="desk search")

    @task(4)
    def open_quote(self) -> None:
        self.client.get(f"/quotes/{random.choice(DATA['refs'])}", name="quote page")

    @task(3)
    def live_price(self) -> None:
        participants = str(random.randint(1, 60))
        self.client.post("/quotes/form/price",
                         data={**DATA["form"], "participants_business": participants,
                               "csrf_token": self.csrf}, name="live price")

    @task(1)
    def save_quote(self) -> None:
        with self.client.post("/quotes/new", data={**DATA["form"], "csrf_token": self.csrf,
                                                   "action": "save"},
                              name="save quote", allow_redirects=False,
                              catch_response=True) as response:
            if response.status_code != 302:
                response.failure(f"expected a redirect, got {response.status_code}")

    @task(1)
    def preview_pdf(self) -> None:
        with self.client.get(f"/quotes/{random.choice(DATA['refs'])}/pdf", name="preview pdf",
                             catch_response=True) as response:
            if response.status_code in (200, 202):  # 202: a worker is preparing it
                response.success()


class Finance(HttpUser):
    weight = 2
    wait_time = between(*WAIT)

    def on_start(self) -> None:
        self.client.headers["Authorization"] = f"Bearer {DATA['token']}"

    @task(4)
    def page(self) -> None:
        self.client.get(f"/api/v1/quotes?limit=50&market={random.choice(MARKETS)}",
                        name="api list")

    @task(2)
    def one_quote(self) -> None:
        self.client.get(f"/api/v1/quotes/{random.choice(DATA['numbers'])}", name="api quote")

    @task(2)
    def summary(self) -> None:
        self.client.get("/api/v1/reports/summary", name="api summary")

    @task(1)
    def export(self) -> None:
        market = random.choice(MARKETS)
        self.client.get(f"/api/v1/exports/quotes.csv?market={market}&quote_date_from=2026-10-01",
                        name="api export (one market, since October)")


class Client(HttpUser):
    weight = 2
    wait_time = between(*WAIT)

    @task
    def open_link(self) -> None:
        self.client.get(f"/p/{random.choice(DATA['links'])}", name="client link")
