"""The few response headers that steer the fetcher: Retry-After, Cache-Control and Content-Type."""

import re
from datetime import UTC, datetime
from email.message import Message
from email.utils import parsedate_to_datetime

DEFAULT_RETRY_AFTER_SECONDS = 60
MAX_RETRY_AFTER_SECONDS = 24 * 60 * 60  # a server must not park a host for longer than a day
MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d+)", re.IGNORECASE)


def retry_after_seconds(value: str | None, now: datetime) -> int:
    """Delta-seconds or an HTTP-date; absent or unreadable means the default pause."""
    seconds = _retry_after(value.strip(), now) if value else None
    if seconds is None:
        return DEFAULT_RETRY_AFTER_SECONDS
    return min(max(seconds, 0), MAX_RETRY_AFTER_SECONDS)


def _retry_after(value: str, now: datetime) -> int | None:
    if value.isdigit():
        return int(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:  # "-0000" dates come back naive; HTTP dates are always UTC
        moment = moment.replace(tzinfo=UTC)
    return round((moment - now).total_seconds())


def max_age_seconds(cache_control: str | None) -> int | None:
    match = MAX_AGE.search(cache_control or "")
    return int(match.group(1)) if match else None


def media_type(content_type: str | None) -> str | None:
    media = (content_type or "").partition(";")[0].strip().lower()
    return media or None


def charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    message = Message()
    message["content-type"] = content_type
    value = message.get_param("charset")
    return value.strip().lower() if isinstance(value, str) and value.strip() else None
