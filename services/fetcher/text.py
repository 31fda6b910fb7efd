"""Text out of a parsed item: its first non-blank value, one-line text, HTML as plain text, and
date strings as UTC datetimes."""

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from typing import Any

BLOCK_TAGS = {"br", "p", "div", "li", "ul", "ol", "tr", "td", "th", "hr", "table", "blockquote"}
BLOCK_TAGS |= {"h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "pre"}


def first_text(item: dict[str, Any], names: tuple[str, ...]) -> str | None:
    for name in names:
        if found := text_of(item.get(name)):
            return found
    return None


def text_of(value: Any) -> str | None:
    for candidate in as_list(value):
        if isinstance(candidate, dict):
            candidate = candidate.get("#text")
        if isinstance(candidate, str) and candidate.strip():
            return candidate.strip()
    return None


def one_line(text: str | None) -> str | None:
    return " ".join(text.split()) if text else None


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def parse_date(raw: str) -> datetime | None:
    """RFC 822 (with zone names) or ISO 8601 → aware UTC; naive times are taken as UTC."""
    for attempt in (datetime.fromisoformat, parsedate_to_datetime, _rfc822_date_only):
        try:
            parsed = attempt(raw.strip())
        except (ValueError, TypeError, IndexError, OverflowError):
            continue
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    return None


def _rfc822_date_only(raw: str) -> datetime:
    return parsedate_to_datetime(f"{raw} 00:00:00 +0000")


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipped_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self.skipped_depth += 1
        self.parts.append(" " if tag in BLOCK_TAGS else "")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"} and self.skipped_depth:
            self.skipped_depth -= 1
        self.parts.append(" " if tag in BLOCK_TAGS else "")

    def handle_data(self, data: str) -> None:
        if not self.skipped_depth:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    collector = _TextCollector()
    collector.feed(html)
    collector.close()
    return " ".join("".join(collector.parts).split())
