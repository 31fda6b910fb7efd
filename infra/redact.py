"""Feed URLs often carry credentials (API keys in the query, passwords in userinfo): hide them."""

import re
from urllib.parse import SplitResult, unquote_plus, urlsplit, urlunsplit

REDACTED = "REDACTED"
SECRET_NAMES = frozenset(
    {
        "token",
        "key",
        "api_key",
        "apikey",
        "secret",
        "password",
        "pass",
        "auth",
        "signature",
        "sig",
        "access_token",
        "client_secret",
        "session",
    }
)
URL_IN_TEXT = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>]+")


def redact_url(url: str) -> str:
    try:
        parts = urlsplit(url)
        netloc = _redact_userinfo(parts)
    except ValueError:  # not even a URL: keep nothing that might be a secret
        return REDACTED
    fragment = _redact_query(parts.fragment)  # OAuth-style fragments carry tokens too
    return urlunsplit((parts.scheme, netloc, parts.path, _redact_query(parts.query), fragment))


def redact_urls_in(text: str) -> str:
    """For messages that may quote a URL, e.g. an HTTP library's error."""
    return URL_IN_TEXT.sub(lambda match: redact_url(match.group()), text)


def is_secret_name(name: str) -> bool:
    name = name.lower()
    return name in SECRET_NAMES or name.endswith(("_token", "_key"))


def _redact_userinfo(parts: SplitResult) -> str:
    if parts.password is None:
        return parts.netloc
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user = userinfo.partition(":")[0]
    return f"{user}:{REDACTED}@{hostport}"


def _redact_query(query: str) -> str:
    # Split by hand rather than parse_qsl + urlencode: the rest of the URL keeps its exact spelling,
    # and ";" separators cannot hide a secret inside another parameter's value.
    return "".join(_redact_parameter(segment) for segment in re.split(r"([&;])", query))


def _redact_parameter(segment: str) -> str:
    name, _, _ = segment.partition("=")
    return f"{name}={REDACTED}" if is_secret_name(unquote_plus(name)) else segment
