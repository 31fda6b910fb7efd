"""The OpenAPI 3.1 document as FastAPI generates it, with the API's own error and security story.

FastAPI documents a 422 with its own body on every endpoint that takes input; this API answers
every error with a problem body instead (see problems.py), so those entries are replaced.
"""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from schemas.views import Problem

SECURITY = {
    "bearer": {"type": "http", "scheme": "bearer", "description": "a token from GATEWAY_API_TOKENS"},
    "session": {
        "type": "apiKey",
        "in": "cookie",
        "name": "importer_session",
        "description": "the dashboard's",
    },
}


def document(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    spec = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    components = spec.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    schemas |= Problem.model_json_schema(ref_template="#/components/schemas/{model}").pop("$defs")
    schemas["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas["Problem"].pop("$defs", None)
    components["securitySchemes"] = SECURITY
    for path in spec["paths"].values():
        for operation in path.values():
            _secured(operation)
    app.openapi_schema = spec
    return spec


def _secured(operation: dict[str, Any]) -> None:
    responses = operation["responses"]
    if "HTTPValidationError" in str(responses.get("422", "")):
        del responses["422"]
    if "401" in responses:
        operation["security"] = [{"bearer": []}, {"session": []}]
