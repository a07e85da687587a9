"""The OpenAPI 3.1 document, generated from the route table and the pydantic
models that parse the queries and describe the responses."""

from __future__ import annotations

import copy
import re
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from quoting.web.api import pipeline as pipeline_api
from quoting.web.api import schemas
from quoting.web.api.routes import ENDPOINTS, PREFIX, Endpoint

REF = "#/components/schemas/{model}"
RESPONSE_MODELS: tuple[type[BaseModel], ...] = (
    schemas.ErrorBody, schemas.QuotePage, schemas.QuoteDetail, schemas.Summary,
    pipeline_api.PipelineReport, pipeline_api.ExchangeDrift,
)
ERRORS = {
    400: "A parameter is invalid (the error names it).",
    401: "No valid API token.",
    403: "The token lacks the endpoint's scope.",
    404: "No such quote, revision or archived PDF.",
    409: "The archived PDF no longer matches its recorded SHA-256.",
    429: "Too many requests with this token; see Retry-After.",
    503: "Temporarily unavailable (the rate-limit store cannot be reached, or PDF "
         "rendering is unavailable); see Retry-After when present.",
}


def openapi_path(rule: str) -> str:
    """A Flask rule as an OpenAPI path: /quotes/<int:revision> -> /quotes/{revision}."""
    return PREFIX + re.sub(r"<(?:[a-z_]+:)?([a-z_]+)>", r"{\1}", rule)


def _inline(schema: Any, defs: dict[str, Any]) -> Any:
    if isinstance(schema, dict):
        if "$ref" in schema:
            return _inline(defs[schema["$ref"].split("/")[-1]], defs)
        return {k: _inline(v, defs) for k, v in schema.items() if k != "title"}
    if isinstance(schema, list):
        return [_inline(item, defs) for item in schema]
    return schema


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter is absent rather than null."""
    options = schema.get("anyOf")
    if options and {"type": "null"} in options:
        rest = [option for option in options if option != {"type": "null"}]
        merged = {k: v for k, v in schema.items() if k not in {"anyOf", "default"}}
        if len(rest) == 1:
            return {**rest[0], **merged}
        return {**merged, "anyOf": rest}
    return schema


def query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema()
    defs = schema.get("$defs", {})
    required = set(schema.get("required", []))
    parameters = []
    for name, prop in schema["properties"].items():
        described = _without_null(_inline(prop, defs))
        description = described.pop("description", None)
        parameter: dict[str, Any] = {"name": name, "in": "query", "required": name in required,
                                     "schema": described}
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return parameters


def _error(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": REF.format(
                model="ErrorBody")}}}}


def _operation(endpoint: Endpoint) -> dict[str, Any]:
    parameters = [{"name": name, "in": "path", "required": True, "schema": schema}
                  for name, schema in endpoint.path_params.items()]
    if endpoint.params is not None:
        parameters += query_parameters(endpoint.params)
    content = dict(endpoint.media)
    if endpoint.body is not None:
        content["application/json"] = {"schema": {"$ref": REF.format(
            model=endpoint.body.__name__)}}
    responses: dict[str, Any] = {"200": {"description": "OK", "content": content}}
    codes = []
    if endpoint.params is not None:
        codes.append(400)
    if endpoint.scope is not None:
        codes += [401, 403, 429, 503]
    if endpoint.path_params:
        codes.append(404)
    if endpoint.name == "revision_pdf":
        codes.append(409)
    for code in sorted(set(codes)):
        responses[str(code)] = _error(ERRORS[code])
    if "429" in responses:
        responses["429"]["headers"] = {"Retry-After": {
            "description": "Seconds to wait.", "required": True,
            "schema": {"type": "integer", "minimum": 1}}}
    operation: dict[str, Any] = {
        "operationId": endpoint.name,
        "summary": endpoint.summary,
        "parameters": parameters,
        "responses": responses,
    }
    if endpoint.description:
        operation["description"] = endpoint.description
    if endpoint.scope is None:
        operation["security"] = []
    else:
        operation["security"] = [{"bearerAuth": []}]
        operation["x-required-scope"] = endpoint.scope
        operation["description"] = (operation.get("description", "")
                                    + f" Needs a token with the scope `{endpoint.scope}`.")
        operation["description"] = operation["description"].strip()
    return operation


def build_document() -> dict[str, Any]:
    _, top = models_json_schema([(model, "serialization") for model in RESPONSE_MODELS],
                                ref_template=REF)
    paths: dict[str, Any] = {}
    for endpoint in ENDPOINTS:
        paths.setdefault(openapi_path(endpoint.rule), {})["get"] = _operation(endpoint)
    return copy.deepcopy({
        "openapi": "3.1.0",
        "info": {
            "title": "quoting finance API",
            "version": "1.0.0",
            "description": "Quote history for finance: lists, quotes with every revision, "
            "archived PDFs, summaries and streamed exports. Money is a decimal string with "
            "an ISO 4217 currency; times are ISO 8601 with their UTC offset. Errors are "
            '`{"error": {"code", "message", "field"}}`.',
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": top.get("$defs", {}),
            "securitySchemes": {"bearerAuth": {
                "type": "http", "scheme": "bearer",
                "description": "A personal API token (`quoting token create`).",
            }},
        },
        "security": [{"bearerAuth": []}],
    })
