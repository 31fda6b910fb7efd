"""JSON in and out of the API."""

import json
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response


def json_response(content: Any, status_code: int = 200) -> Response:
    return Response(json.dumps(content, default=_plain), status_code, media_type="application/json")


async def json_object(request: Request) -> dict[str, Any]:
    """The request body as a JSON object; ValueError for anything else."""
    body = json.loads(await request.body() or b"null")  # JSONDecodeError is a ValueError
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    return body


def _plain(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)
