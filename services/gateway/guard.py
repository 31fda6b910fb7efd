"""ASGI middleware in front of every HTTP request: body size and type refused before parsing,
security headers on every response.
"""

from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.gateway.problems import problem

# No inline script anywhere; inline styles only because Swagger UI sets style attributes.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    # Not no-referrer: with it, Chrome sends "Origin: null" on form posts and the CSRF check fails.
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
# Bodies the gateway reads: JSON for the API, a form for the dashboard's sign-in.
ACCEPTED_BODIES = ("application/json", "application/x-www-form-urlencoded")


class TooLarge(HTTPException):
    """Raised while the body is read; FastAPI lets HTTP exceptions through as they are."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the body is over {limit} bytes")


class Guard:
    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app, self.max_body_bytes = app, max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = Headers(scope=scope)
        refusal = self._refusal(headers)
        if refusal:
            return await refusal(scope, receive, _secured(send))
        await self.app(scope, self._counted(receive), _secured(send))

    def _refusal(self, headers: Headers) -> Any:
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_body_bytes:
            return self._too_large()
        has_body = (length.isdigit() and int(length) > 0) or "transfer-encoding" in headers
        media_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if has_body and media_type not in ACCEPTED_BODIES:
            return problem(415, f"send the body as one of: {', '.join(ACCEPTED_BODIES)}")
        return None

    def _too_large(self) -> Any:
        return problem(413, f"the body is over {self.max_body_bytes} bytes", headers={"Connection": "close"})

    def _counted(self, receive: Receive) -> Receive:
        seen = 0

        async def counting() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_body_bytes:
                raise TooLarge(self.max_body_bytes)
            return message

        return counting


def _secured(send: Send) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            for name, value in SECURITY_HEADERS.items():
                headers.setdefault(name, value)
            if headers.get("content-type", "").startswith("text/html"):
                headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        await send(message)

    return sending
