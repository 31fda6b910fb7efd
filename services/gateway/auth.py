"""Who may read and write: bearer tokens, the dashboard's session cookie, and its Origin check.

The cookie holds an expiry and an HMAC of it keyed by one of the configured tokens, never a token
itself; every replica can check it without shared state, and removing a token ends its sessions.
"""

import hashlib
import hmac
import time
from dataclasses import dataclass

from starlette.requests import HTTPConnection

from services.gateway.config import Settings
from services.gateway.problems import ProblemError

COOKIE = "importer_session"


@dataclass(frozen=True)
class Gate:
    tokens: tuple[str, ...]
    public_reads: bool
    allowed_origins: frozenset[str]
    session_seconds: float

    @classmethod
    def from_settings(cls, settings: Settings) -> "Gate":
        return cls(
            tuple(settings.api_tokens),
            settings.gateway_public_reads,
            frozenset(settings.allowed_origins),
            settings.gateway_session_hours * 3600,
        )

    def token_of(self, presented: str) -> str | None:
        """The configured token equal to `presented`; every token is compared, in constant time."""
        found = None
        for token in self.tokens:
            if hmac.compare_digest(token.encode(), presented.encode()):
                found = token
        return found

    def session_for(self, token: str, now: float | None = None) -> str:
        expires = int((now or time.time()) + self.session_seconds)
        return f"{expires}.{_sign(token, expires)}"

    def session_valid(self, cookie: str, now: float | None = None) -> bool:
        expires, _, signature = cookie.partition(".")
        if not expires.isdigit() or int(expires) < (now or time.time()):
            return False
        return any(hmac.compare_digest(_sign(token, int(expires)), signature) for token in self.tokens)

    def origin_allowed(self, connection: HTTPConnection) -> bool:
        origin = connection.headers.get("origin", "").rstrip("/")
        own = f"{connection.url.scheme.replace('ws', 'http')}://{connection.headers.get('host', '')}"
        return origin == own or origin in self.allowed_origins

    def check_read(self, connection: HTTPConnection) -> None:
        if not self.public_reads:
            self._authenticated(connection, writing=False)

    def check_write(self, connection: HTTPConnection) -> None:
        self._authenticated(connection, writing=True)

    def _authenticated(self, connection: HTTPConnection, writing: bool) -> None:
        scheme, _, presented = connection.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and presented:
            if self.token_of(presented.strip()) is None:
                raise _unauthorized("the bearer token is not valid")
            return
        if not self.session_valid(connection.cookies.get(COOKIE, "")):
            raise _unauthorized("sign in, or send Authorization: Bearer <token>")
        # A cookie goes with every request the browser makes, whoever's page asked: check where a
        # write comes from (CSRF). Bearer tokens are sent only by clients that hold them.
        if writing and not self.origin_allowed(connection):
            raise ProblemError(403, "a write with the session cookie must come from the dashboard's origin")


def _sign(token: str, expires: int) -> str:
    return hmac.new(token.encode(), f"session {expires}".encode(), hashlib.sha256).hexdigest()


def _unauthorized(detail: str) -> ProblemError:
    return ProblemError(401, detail, headers={"WWW-Authenticate": 'Bearer realm="job-importer"'})
