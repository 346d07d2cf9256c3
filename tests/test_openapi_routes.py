"""docs/openapi.json names every JSON route the app registers, and no route it does not have."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

SPEC_PATH = Path(__file__).resolve().parent.parent / "docs" / "openapi.json"
METHODS = {"get", "post", "put", "patch", "delete"}
JSON_PREFIXES = ("/api/", "/oembed")


def spec() -> dict[str, Any]:
    """The OpenAPI document as committed."""
    return json.loads(SPEC_PATH.read_text())


def _shape(path: str) -> str:
    """A path with its parameters blanked: Flask's `<name>` and OpenAPI's `{feed}` compare equal."""
    return re.sub(r"<[^>]+>|\{[^}]+\}", "{}", path)


def app_routes(app: Any) -> set[tuple[str, str]]:
    """(METHOD, path shape) of every JSON rule the app serves: /api, and /oembed once it exists.

    HEAD and OPTIONS are Flask's own.
    """
    return {
        (method, _shape(rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(JSON_PREFIXES)
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def documented_routes(document: dict[str, Any]) -> set[tuple[str, str]]:
    """(METHOD, path shape) of every operation in the document."""
    return {
        (method.upper(), _shape(path))
        for path, operations in document["paths"].items()
        for method in operations
        if method in METHODS
    }


def test_every_api_route_is_documented_and_every_documented_route_exists(app):
    served, documented = app_routes(app), documented_routes(spec())
    assert served, "the app serves no /api route: the comparison would prove nothing"
    assert sorted(served - documented) == [], "served but missing from docs/openapi.json"
    assert sorted(documented - served) == [], "in docs/openapi.json but not served"


def test_path_parameters_are_declared_for_every_placeholder():
    for path, operations in spec()["paths"].items():
        placeholders = set(re.findall(r"\{([^}]+)\}", path))
        for method, operation in operations.items():
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == placeholders, (method, path)


def test_the_comparison_catches_an_undocumented_route_and_a_stale_one(app):
    document = spec()
    document["paths"]["/api/ghost"] = {"get": {"responses": {"200": {"description": "gone"}}}}
    del document["paths"]["/api/stories"]["get"]
    documented = documented_routes(document)
    served = app_routes(app)
    assert served - documented == {("GET", "/api/stories")}
    assert documented - served == {("GET", "/api/ghost")}


def test_the_document_is_valid_openapi_3_1():
    from schemathesis.specs.openapi.definitions import OPENAPI_31_VALIDATOR

    document = spec()
    assert document["openapi"].startswith("3.1")
    OPENAPI_31_VALIDATOR.validate(document)
