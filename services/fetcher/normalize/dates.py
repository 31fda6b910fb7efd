"""Date strings as they appear in feeds (RFC 822 with zone names, ISO 8601) → UTC datetimes."""

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

# Zone names email.utils does not know (it knows UT, GMT, Z and the US zones).
ZONE_OFFSETS = {"CET": "+0100", "CEST": "+0200", "BST": "+0100", "EET": "+0200", "EEST": "+0300"}
ZONE_OFFSETS |= {"WET": "+0000", "WEST": "+0100", "AEST": "+1000", "AEDT": "+1100", "JST": "+0900"}
TRAILING_ZONE = re.compile(r"\s+(?P<zone>[A-Z]{2,4})$")


def parse_date(raw: str) -> datetime | None:
    """RFC 822 (with zone names) or ISO 8601 → aware UTC; naive times are taken as UTC."""
    raw = TRAILING_ZONE.sub(_zone_offset, raw.strip())
    for attempt in (datetime.fromisoformat, parsedate_to_datetime, _rfc822_date_only):
        try:
            parsed = attempt(raw)
        except (ValueError, TypeError, IndexError, OverflowError):
            continue
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    return None


def _zone_offset(zone: re.Match[str]) -> str:
    name = zone["zone"]
    offset = "+0000" if name in {"UTC", "GMT"} else ZONE_OFFSETS.get(name)
    return f" {offset}" if offset else zone[0]


def _rfc822_date_only(raw: str) -> datetime:
    return parsedate_to_datetime(f"{raw} 00:00:00 +0000")
