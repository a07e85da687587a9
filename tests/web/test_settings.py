"""Every setting is read from the environment in one place (quoting.web.SETTINGS),
a malformed number stops the start with a message naming the variable, settings
given in code still win, and the README lists every one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import Engine

from quoting.signing import generate_demo_pair
from quoting.web import SETTINGS, create_app
from tests.web.conftest import PASSWORD, SALES

README = Path(__file__).resolve().parents[2] / "README.md"
NAMED_IN_THE_README = [
    "QUOTING_ENV", "SECRET_KEY", "DATABASE_URL", "SESSION_COOKIE_NAME",
    "RATELIMIT_STORAGE_URI", "RATELIMIT_KEY_PREFIX", "API_RATE_LIMIT",
    "API_RATE_WINDOW_SECONDS", "LOGIN_FAILURES_PER_EMAIL", "LOGIN_FAILURES_PER_ADDRESS",
    "LOGIN_FAILURE_WINDOW_SECONDS", "MAX_CONTENT_LENGTH", "MAX_FORM_MEMORY_SIZE",
    "MAX_FORM_PARTS", "SALES_OWN_QUOTES_ONLY", "PUBLIC_URL", "MAIL_URL", "MAIL_FROM",
    "OUTBOX_DIR", "QUEUE_URL", "SIGNING_CERT", "SIGNING_KEY", "QUOTING_RULES_DIR",
    "LOG_FORMAT", "METRICS_TOKEN", "METRICS_ALLOW_FROM",
]
FROM_THE_ENVIRONMENT = [
    ("QUOTING_ENV", "production", "production"),
    ("SECRET_KEY", "a-secret-from-the-environment", "a-secret-from-the-environment"),
    ("DATABASE_URL", "sqlite:////tmp/elsewhere.db", "sqlite:////tmp/elsewhere.db"),
    ("SESSION_COOKIE_NAME", "acme_session", "acme_session"),
    ("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:1/0", "redis://127.0.0.1:1/0"),
    ("RATELIMIT_KEY_PREFIX", "acme", "acme"),
    ("API_RATE_LIMIT", "7", 7),
    ("API_RATE_WINDOW_SECONDS", "11", 11),
    ("LOGIN_FAILURES_PER_EMAIL", "3", 3),
    ("LOGIN_FAILURES_PER_ADDRESS", "9", 9),
    ("LOGIN_FAILURE_WINDOW_SECONDS", "120", 120),
    ("MAX_CONTENT_LENGTH", "1048576", 1048576),
    ("MAX_FORM_MEMORY_SIZE", " 65536 ", 65536),
    ("MAX_FORM_PARTS", "300", 300),
    ("SALES_OWN_QUOTES_ONLY", "on", True),
    ("PUBLIC_URL", "https://quotes.example.com", "https://quotes.example.com"),
    ("MAIL_URL", "smtp://mail.example.com:587?starttls=1",
     "smtp://mail.example.com:587?starttls=1"),
    ("MAIL_FROM", "Acme <quotes@acme.example>", "Acme <quotes@acme.example>"),
    ("OUTBOX_DIR", "/tmp/acme-outbox", "/tmp/acme-outbox"),
    ("QUEUE_URL", " redis://127.0.0.1:6379/3 ", "redis://127.0.0.1:6379/3"),
    # Paths in the folder of the `signing_pair` fixture: the app loads them at start.
    ("SIGNING_CERT", "{pair}/seller-cert.pem", "{pair}/seller-cert.pem"),
    ("SIGNING_KEY", "{pair}/seller-key.pem", "{pair}/seller-key.pem"),
    ("QUOTING_RULES_DIR", "/srv/acme/pricing_rules", "/srv/acme/pricing_rules"),
    ("LOG_FORMAT", "json", "json"),
    ("METRICS_TOKEN", "a-scrape-token", "a-scrape-token"),
    ("METRICS_ALLOW_FROM", "10.0.0.0/8,::1", "10.0.0.0/8,::1"),
]


@pytest.fixture(scope="module")
def signing_pair(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with a demo signing pair (the two signing settings come together)."""
    folder = tmp_path_factory.mktemp("signing")
    generate_demo_pair(folder)
    return folder


@pytest.fixture(autouse=True)
def _no_setting_from_the_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only what each test sets; a key for every app, so none writes instance/secret_key."""
    for setting in SETTINGS:
        monkeypatch.delenv(setting.name, raising=False)
    monkeypatch.setenv("SECRET_KEY", "test-secret")


def test_every_setting_the_readme_names_is_in_the_settings_table() -> None:
    assert sorted(setting.name for setting in SETTINGS) == sorted(NAMED_IN_THE_README)
    assert {name for name, _, _ in FROM_THE_ENVIRONMENT} == set(NAMED_IN_THE_README)


def test_the_readme_settings_table_lists_every_setting_with_its_default() -> None:
    rows = dict(re.findall(r"^\| `([A-Z_]+)` \| ([^|]+) \|", README.read_text("utf-8"),
                           re.MULTILINE))
    for setting in SETTINGS:
        assert setting.name in rows, f"{setting.name} is not in the README's Settings table"
        if isinstance(setting.default, bool):
            assert f"`{'on' if setting.default else 'off'}`" in rows[setting.name]
        elif setting.default is not None:
            assert f"`{setting.default}`" in rows[setting.name], setting.name


@pytest.mark.parametrize(("name", "value", "expected"), FROM_THE_ENVIRONMENT)
def test_each_setting_is_taken_from_the_environment(
        engine: Engine, monkeypatch: pytest.MonkeyPatch, signing_pair: Path, name: str,
        value: str, expected: object) -> None:
    if name.startswith("SIGNING_"):  # one without the other stops the start
        monkeypatch.setenv("SIGNING_CERT", str(signing_pair / "seller-cert.pem"))
        monkeypatch.setenv("SIGNING_KEY", str(signing_pair / "seller-key.pem"))
        value = value.format(pair=signing_pair)
        expected = str(expected).format(pair=signing_pair)
    monkeypatch.setenv(name, value)
    app = create_app({"ENGINE": engine, "TESTING": True})
    assert app.config[name] == expected


def test_without_the_environment_every_setting_has_its_default(engine: Engine) -> None:
    app = create_app({"ENGINE": engine, "TESTING": True})
    for setting in SETTINGS:
        if setting.default is not None:
            assert app.config[setting.name] == setting.default, setting.name
    assert app.config["SESSION_COOKIE_NAME"] == "quoting_session"
    assert app.config["SESSION_COOKIE_SECURE"] is False


def test_an_empty_variable_counts_as_unset(engine: Engine,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_RATE_LIMIT", "")
    monkeypatch.setenv("RATELIMIT_KEY_PREFIX", "")
    app = create_app({"ENGINE": engine, "TESTING": True})
    assert app.config["API_RATE_LIMIT"] == 600
    assert app.config["RATELIMIT_KEY_PREFIX"] == "quoting"


def test_production_from_the_environment_makes_the_cookies_secure(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUOTING_ENV", "production")
    app = create_app({"ENGINE": engine, "TESTING": True})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True


@pytest.mark.parametrize("name", [s.name for s in SETTINGS if s.kind is int])
@pytest.mark.parametrize("value", ["abc", "0", "-5", "1.5", "10k", "1_000", "٣"])
def test_a_malformed_number_stops_the_start_with_a_message_naming_the_variable(
        engine: Engine, monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=rf"{name} must be a whole number of .*, 1 or more"):
        create_app({"ENGINE": engine, "TESTING": True})


def test_settings_given_in_code_win_over_the_environment(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_RATE_LIMIT", "7")
    monkeypatch.setenv("SESSION_COOKIE_NAME", "from_env")
    monkeypatch.setenv("QUOTING_ENV", "production")
    app = create_app({"ENGINE": engine, "TESTING": True, "API_RATE_LIMIT": 100,
                      "SESSION_COOKIE_NAME": "from_code", "SESSION_COOKIE_SECURE": False})
    assert app.config["API_RATE_LIMIT"] == 100
    assert app.config["SESSION_COOKIE_NAME"] == "from_code"


@pytest.mark.parametrize(("environment", "cookie"), [
    (None, "quoting_session"), ("acme_session", "acme_session")])
def test_the_session_cookie_carries_the_configured_name(
        engine: Engine, monkeypatch: pytest.MonkeyPatch, environment: str | None,
        cookie: str) -> None:
    if environment:
        monkeypatch.setenv("SESSION_COOKIE_NAME", environment)
    client = create_app({"ENGINE": engine, "TESTING": True, "WTF_CSRF_ENABLED": False}
                        ).test_client()
    response = client.post("/login", data={"email": SALES, "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Set-Cookie"].startswith(f"{cookie}=")


def test_login_limits_from_the_environment_are_enforced(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOGIN_FAILURES_PER_EMAIL", "2")
    client = create_app({"ENGINE": engine, "TESTING": True, "WTF_CSRF_ENABLED": False}
                        ).test_client()
    statuses = [client.post("/login", data={"email": SALES, "password": "wrong"}).status_code
                for _ in range(3)]
    assert statuses == [401, 401, 429]


@pytest.mark.parametrize(("value", "expected"), [("1", True), ("YES", True), ("off", False),
                                                 ("0", False)])
def test_an_on_off_setting_reads_the_usual_words(
        engine: Engine, monkeypatch: pytest.MonkeyPatch, value: str, expected: bool) -> None:
    monkeypatch.setenv("SALES_OWN_QUOTES_ONLY", value)
    assert create_app({"ENGINE": engine, "TESTING": True}).config[
        "SALES_OWN_QUOTES_ONLY"] is expected


def test_an_on_off_setting_refuses_anything_else_naming_the_variable(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SALES_OWN_QUOTES_ONLY", "maybe")
    with pytest.raises(ValueError, match="SALES_OWN_QUOTES_ONLY must be on or off"):
        create_app({"TESTING": True})


@pytest.mark.parametrize("value", ["rediss://:secret@redis.example:6380/0",
                                   "REDIS://127.0.0.1:6379/0"])
def test_the_queue_url_takes_redis_with_or_without_tls(
        engine: Engine, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("QUEUE_URL", value)
    assert create_app({"ENGINE": engine, "TESTING": True}).config["QUEUE_URL"] == value


@pytest.mark.parametrize("value", ["amqp://guest:hunter2@127.0.0.1/", "127.0.0.1:6379",
                                   "memory://"])
def test_a_queue_url_that_is_not_redis_stops_the_start_without_showing_a_password(
        monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("QUEUE_URL", value)
    with pytest.raises(ValueError, match=r"QUEUE_URL must start with redis:// or rediss://"
                       ) as raised:
        create_app({"TESTING": True})
    assert "hunter2" not in str(raised.value)
