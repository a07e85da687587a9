"""Bad input is refused cheaply on the sales desk: a body over MAX_CONTENT_LENGTH
gets a 413 page before any of it is read (also from a real server), a control
character in any field gets a 400 page naming the field, before sign-in, CSRF,
the database or a view ever sees it."""

from __future__ import annotations

import io
import re
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from werkzeug.serving import WSGIRequestHandler, make_server

from quoting.store.models import Quote
from quoting.web import create_app
from tests.web.conftest import PASSWORD, SALES, app_config, form_data

MIB = 1024 * 1024
ANNOUNCED = 200 * 1000 * 1000  # 200 MB announced, a few bytes sent


class CountingInput:
    """A request body stream that counts the bytes the app takes from it."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.bytes_read = 0

    def read(self, size: int = -1) -> bytes:
        data: bytes = self.stream.read(size)
        self.bytes_read += len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        count: int = self.stream.readinto(buffer)
        self.bytes_read += count or 0
        return count

    def readline(self, size: int = -1) -> bytes:
        data: bytes = self.stream.readline(size)
        self.bytes_read += len(data)
        return data

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readline, b"")


class CountingApp:
    """WSGI middleware recording how much of each request body the app read."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.inputs: list[CountingInput] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        counting = CountingInput(environ["wsgi.input"])
        environ["wsgi.input"] = counting
        self.inputs.append(counting)
        return self.app(environ, start_response)


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


def _quotes(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count(Quote.id))) or 0)


# ---------------------------------------------------------------- body size


def test_the_body_limits_default_to_2_mib_and_bounded_forms(app: Flask) -> None:
    assert app.config["MAX_CONTENT_LENGTH"] == 2 * MIB
    assert 0 < app.config["MAX_FORM_MEMORY_SIZE"] < app.config["MAX_CONTENT_LENGTH"]
    assert 0 < app.config["MAX_FORM_PARTS"] <= 1000


@pytest.mark.parametrize(("language", "title"), [
    ("es", "Demasiado grande"), ("en", "Too large"), ("pt", "Grande demais")])
def test_a_content_length_over_the_limit_gets_a_translated_413_page_and_nothing_is_read(
        client: FlaskClient, language: str, title: str) -> None:
    counting = CountingInput(io.BytesIO(b"email=a%40b.c&password=x"))
    response = client.post("/login", data=b"email=a%40b.c&password=x",
                           content_type="application/x-www-form-urlencoded",
                           headers={"Accept-Language": language},
                           environ_overrides={"CONTENT_LENGTH": str(ANNOUNCED),
                                              "wsgi.input": counting})
    html = response.get_data(as_text=True)
    assert response.status_code == 413
    assert response.mimetype == "text/html"
    assert title in html
    assert "2 MiB" in html
    assert counting.bytes_read == 0


def test_a_signed_in_post_over_the_limit_gets_413_and_saves_nothing(
        signed_in: FlaskClient, engine: Engine) -> None:
    before = _quotes(engine)
    response = signed_in.post("/quotes/new", data=form_data("MX", context="x" * (3 * MIB)))
    assert response.status_code == 413
    assert "Demasiado grande" in response.get_data(as_text=True)
    assert _quotes(engine) == before


def test_the_limit_is_the_configured_one_and_the_page_says_it(engine: Engine) -> None:
    client = create_app(app_config(engine, MAX_CONTENT_LENGTH=256 * 1024)).test_client()
    large = client.post("/login", data={"email": SALES, "password": PASSWORD,
                                        "padding": "x" * (300 * 1024)})
    assert large.status_code == 413
    assert "256 KiB" in large.get_data(as_text=True)
    small = client.post("/login", data={"email": SALES, "password": PASSWORD,
                                        "padding": "x" * (200 * 1024)})
    assert small.status_code == 302


def test_a_multipart_field_over_max_form_memory_size_gets_413(signed_in: FlaskClient) -> None:
    limit = signed_in.application.config["MAX_FORM_MEMORY_SIZE"]
    response = signed_in.post("/quotes/form/price",
                              data=form_data("MX", context="x" * (limit + 1)),
                              content_type="multipart/form-data")
    assert response.status_code == 413


def test_a_multipart_form_with_more_parts_than_max_form_parts_gets_413(
        engine: Engine) -> None:
    app = create_app(app_config(engine, MAX_FORM_PARTS=50))
    fields = {f"extra_{n}": "1" for n in range(60)}
    response = app.test_client().post("/login", data=fields, content_type="multipart/form-data")
    assert response.status_code == 413


def test_a_real_server_answers_a_200_mb_content_length_with_413_at_once_without_reading_it(
        engine: Engine) -> None:
    counting = CountingApp(create_app(app_config(engine, WTF_CSRF_ENABLED=True)))
    server = make_server("127.0.0.1", 0, counting, threaded=True,
                         request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", server.server_port), timeout=5) as sock:
            sock.sendall(b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         b"Content-Type: application/x-www-form-urlencoded\r\n"
                         b"Content-Length: " + str(ANNOUNCED).encode() + b"\r\n\r\n"
                         b"email=a")
            answer = _read_until_closed(sock)
        elapsed = time.monotonic() - started
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    status_line = answer.split(b"\r\n", 1)[0]
    assert status_line.startswith(b"HTTP/1.1 413"), answer[:200]
    assert "Demasiado grande" in answer.decode("utf-8", "replace")
    assert elapsed < 3, f"413 took {elapsed:.1f} s"
    assert [c.bytes_read for c in counting.inputs] == [0]


def _read_until_closed(sock: socket.socket, limit: int = 1_000_000) -> bytes:
    """Everything the server sends until it closes the connection (bounded by the
    socket's timeout and by `limit` bytes)."""
    chunks: list[bytes] = []
    received = 0
    while received < limit:
        chunk = sock.recv(65536)
        if not chunk:
            break
        chunks.append(chunk)
        received += len(chunk)
    return b"".join(chunks)


# ---------------------------------------------------------------- control characters


@pytest.mark.parametrize(("query", "field"), [
    ("q=a%00b", "q"),                        # the search
    ("owner=ana%00%40example.com", "owner"),  # a filter
    ("market=M%00X", "market"),
    ("status=draft%00", "status"),
    ("from=2026-11-25%00", "from"),
    ("sort=-date%00", "sort"),
    ("page=1%00", "page"),
    ("q=a%1bb", "q"),                        # other C0 controls and DEL
    ("q=a%7fb", "q"),
    ("q=%08", "q"),
    ("q%00=a", "q\\x00"),                    # in a key: named with the character escaped
])
def test_a_control_character_in_the_list_query_gets_a_400_page_naming_the_field(
        signed_in: FlaskClient, query: str, field: str) -> None:
    response = signed_in.get(f"/?{query}")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "Carácter no válido" in html
    assert f"«{field}»" in html


def test_the_400_page_for_a_control_character_speaks_english_too(
        signed_in: FlaskClient) -> None:
    response = signed_in.get("/?q=a%00b", headers={"Accept-Language": "en"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Invalid character" in html
    assert "The field “q” contains a character that is not allowed" in html


def test_tab_cr_and_lf_in_a_search_are_not_refused(signed_in: FlaskClient) -> None:
    for query in ("q=a%09b", "q=a%0d%0ab", "q=a%0ab"):
        assert signed_in.get(f"/?{query}").status_code == 200, query


def test_nul_in_the_sign_in_email_gets_400_naming_the_field(client: FlaskClient) -> None:
    response = client.post("/login", data={"email": f"{SALES}\x00", "password": "x"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "«email»" in html


def test_nul_in_a_quote_form_field_gets_400_naming_it_and_saves_nothing(
        signed_in: FlaskClient, engine: Engine) -> None:
    before = _quotes(engine)
    response = signed_in.post("/quotes/new", data=form_data("MX", client_name="Acme\x00 SA"))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "«client_name»" in html
    assert _quotes(engine) == before
    preview = signed_in.post("/quotes/form/price", data=form_data("MX", context="a\x00"))
    assert preview.status_code == 400


def test_nul_in_a_quote_reference_in_the_path_gets_400_naming_the_path_variable(
        signed_in: FlaskClient) -> None:
    response = signed_in.get("/quotes/MX-2026-0001%00")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Carácter no válido" in html
    assert re.search(r"«\w+»", html)


def test_a_control_character_is_refused_before_sign_in_is_asked_for(
        client: FlaskClient) -> None:
    response = client.get("/?q=%00")
    assert response.status_code == 400


# ---------------------------------------------------------------- dates


@pytest.mark.parametrize("query", ["from=0", "to=0", "from=1e3", "to=2026-02-30"])
def test_the_list_date_filters_explain_a_value_that_is_not_an_iso_date(
        signed_in: FlaskClient, query: str) -> None:
    response = signed_in.get(f"/?{query}")
    assert response.status_code == 200
    assert "Las fechas se escriben así: 2026-11-25." in response.get_data(as_text=True)
