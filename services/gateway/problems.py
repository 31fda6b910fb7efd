"""Every error as `application/problem+json` (RFC 9457), and the documentation of those errors."""

import http
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.routing import Match

from schemas.views import InvalidField, Problem

log = logging.getLogger("gateway")
MEDIA_TYPE = "application/problem+json"


class ProblemError(Exception):
    def __init__(
        self,
        status: int,
        detail: str,
        errors: Sequence[InvalidField] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status, self.detail, self.errors, self.headers = status, detail, list(errors), headers


def problem(
    status: int,
    detail: str | None,
    errors: list[InvalidField] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = Problem(title=http.HTTPStatus(status).phrase, status=status, detail=detail, errors=errors or None)
    return JSONResponse(
        body.model_dump(exclude_none=True), status, dict(headers or {}), media_type=MEDIA_TYPE
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(ProblemError, _on_problem)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _on_http)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _on_invalid)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _on_crash)


async def _on_problem(request: Request, error: ProblemError) -> JSONResponse:
    return problem(error.status, error.detail, error.errors, error.headers)


async def _on_http(request: Request, error: HTTPException) -> JSONResponse:
    detail = None if error.detail == http.HTTPStatus(error.status_code).phrase else str(error.detail)
    headers = error.headers
    if error.status_code == 405:  # Starlette's Allow names only the first route of the path
        headers = {"Allow": ", ".join(sorted(_methods(request)))}
    return problem(error.status_code, detail, headers=headers)


def _methods(request: Request) -> set[str]:
    routes = [route for route in request.app.routes if isinstance(route, APIRoute)]
    return {
        m for route in routes if route.matches(request.scope)[0] != Match.NONE for m in route.methods or ()
    }


async def _on_invalid(request: Request, error: RequestValidationError) -> JSONResponse:
    """A malformed query or path is a bad request (400); a well-formed but invalid body is 422."""
    fields = [_field(entry) for entry in error.errors()]
    in_body = any(entry["loc"][:1] == ("body",) for entry in error.errors())
    status = 422 if in_body else 400
    return problem(status, "the request body is invalid" if in_body else "the request is invalid", fields)


def body_fields(errors: Sequence[Any]) -> list[InvalidField]:
    """A model's validation errors of a body, as the problem's `errors`."""
    return [_field({**entry, "loc": ("body", *entry["loc"])}) for entry in errors]


def _field(entry: dict[str, Any]) -> InvalidField:
    where, *path = entry["loc"]
    message = str(entry["msg"]).removeprefix("Value error, ")
    if where == "body":
        return InvalidField(detail=message, pointer="#/" + "/".join(str(part) for part in path))
    return InvalidField(detail=message, parameter=".".join(str(part) for part in path) or str(where))


async def _on_crash(request: Request, error: Exception) -> JSONResponse:
    log.exception("request failed", extra={"path": request.url.path})
    return problem(500, "the gateway could not answer; the error is in its log")


PROBLEM_CONTENT = {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}


def documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the problems an endpoint can answer, besides 400 and 500 on every one."""
    return {
        status: {"description": http.HTTPStatus(status).phrase, "content": PROBLEM_CONTENT}
        for status in sorted({400, *statuses, 500})
    }
