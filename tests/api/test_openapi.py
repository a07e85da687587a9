"""The OpenAPI document describes every /api/v1/ rule, and real responses fit it."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from quoting.store.models import Quote
from quoting.web.api.openapi import openapi_path

OPENAPI = "/api/v1/openapi.json"


def test_the_document_is_openapi_3_1_and_public(client: FlaskClient) -> None:
    response = client.get(OPENAPI)
    assert response.status_code == 200
    assert response.get_json()["openapi"] == "3.1.0"


def test_every_api_rule_in_the_app_is_described(app: Flask, client: FlaskClient) -> None:
    paths = client.get(OPENAPI).get_json()["paths"]
    rules = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/")]
    assert rules
    for rule in rules:
        described = paths.get(openapi_path(rule.rule.removeprefix("/api/v1")))
        assert described is not None, f"{rule.rule} is not in the OpenAPI document"
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in described, f"{method} {rule.rule} is not described"


def test_every_described_path_exists_in_the_app(app: Flask, client: FlaskClient) -> None:
    paths = client.get(OPENAPI).get_json()["paths"]
    served = {openapi_path(rule.rule.removeprefix("/api/v1"))
              for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/")}
    assert set(paths) == served


def test_every_guarded_operation_names_its_scope_and_its_error_answers(
        client: FlaskClient) -> None:
    paths = client.get(OPENAPI).get_json()["paths"]
    for path, operations in paths.items():
        operation = operations["get"]
        if path.endswith("/openapi.json"):
            assert operation["security"] == []
            continue
        assert operation["x-required-scope"] in {"quotes:read", "reports:read"}
        assert {"401", "403", "429"} <= set(operation["responses"]), path


def test_a_list_page_validates_against_its_described_schema(
        client: FlaskClient, auth: dict[str, str], make_quote: Callable[..., Quote]) -> None:
    import jsonschema_rs

    make_quote("MX", "sent")
    document = client.get(OPENAPI).get_json()
    schema = {"$ref": "#/components/schemas/QuotePage", "components": document["components"]}
    validator = jsonschema_rs.Draft202012Validator(schema)
    validator.validate(client.get("/api/v1/quotes", headers=auth).get_json())
