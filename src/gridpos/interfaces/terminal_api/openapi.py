"""The terminal API's published OpenAPI document, written from the routes table.

Request and answer schemas come from the protocol's messages by their wire names; every route
but enrolment declares the four signing headers; every refusal is an ``ErrorBody``.
"""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from gridpos.protocol.errors import ErrorBody
from gridpos.protocol.signing import SIGNED_HEADERS
from gridpos.protocol.terminal import routes
from gridpos.protocol.terminal.session import HEARTBEAT_HEADER

_REF = "#/components/schemas/{model}"


def _schemas() -> tuple[dict[Any, Any], dict[str, Any]]:
    wanted: list[tuple[type[BaseModel], JsonSchemaMode]] = [(ErrorBody, "serialization")]
    for route in routes.ROUTES:
        wanted.append((route.request, "validation"))
        wanted.append((route.answer, "serialization"))
    unique = list(dict.fromkeys(wanted))
    keys, definitions = models_json_schema(unique, by_alias=True, ref_template=_REF)
    return keys, definitions.get("$defs", {})


def _error_responses() -> dict[str, Any]:
    error = {"$ref": _REF.format(model="ErrorBody")}
    return {
        "default": {"description": "a refusal", "content": {"application/json": {"schema": error}}}
    }


def _parameters(route: routes.Route[Any, Any], definitions: dict[str, Any]) -> list[dict[str, Any]]:
    schema = route.request.model_json_schema(by_alias=True, ref_template=_REF)
    required = set(schema.get("required", ()))
    found = []
    for name, prop in schema.get("properties", {}).items():
        location = "path" if name in route.placeholders else "query"
        found.append(
            {
                "name": name,
                "in": location,
                "required": location == "path" or name in required,
                "schema": prop,
            }
        )
    for extra in schema.get("$defs", {}):
        definitions.setdefault(extra, schema["$defs"][extra])
    return found


def _signing_headers() -> list[dict[str, Any]]:
    return [
        {"name": name, "in": "header", "required": True, "schema": {"type": "string"}}
        for name in SIGNED_HEADERS
    ] + [
        {"name": HEARTBEAT_HEADER, "in": "header", "required": False, "schema": {"type": "string"}}
    ]


def openapi_document() -> bytes:
    """The OpenAPI 3.1 document of every terminal route, as JSON bytes."""
    keys, definitions = _schemas()
    paths: dict[str, dict[str, Any]] = {}
    for route in routes.ROUTES:
        operation: dict[str, Any] = {
            "operationId": route.name,
            "summary": (route.request.__doc__ or route.name).strip().splitlines()[0],
            "responses": {
                "200": {
                    "description": "the answer",
                    "content": {
                        "application/json": {"schema": keys[(route.answer, "serialization")]}
                    },
                },
                **_error_responses(),
            },
        }
        parameters = _signing_headers() if route.signed else []
        if route.method == "POST":
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": keys[(route.request, "validation")]}},
            }
        else:
            parameters += _parameters(route, definitions)
        if parameters:
            operation["parameters"] = parameters
        paths.setdefault(route.path, {})[route.method.lower()] = operation
    document = {
        "openapi": "3.1.0",
        "info": {
            "title": "gridpos terminal API",
            "version": routes.API_VERSION,
            "description": (
                "Every route but enrolment is signed (HMAC-SHA256, see gridpos.protocol.signing);"
                " bodies are compact JSON with short wire names; money is integer fen."
            ),
        },
        "paths": paths,
        "components": {"schemas": definitions},
    }
    return orjson.dumps(document)
