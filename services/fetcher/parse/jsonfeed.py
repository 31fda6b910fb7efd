"""JSON Feed 1.0 and 1.1 → raw items shaped as an Atom entry's are, decoded one at a time.

The text is held whole (the fetch caps its size), its items are decoded one by one: memory is
the text plus one item, never every item as objects. An item becomes `id`, `link`, `title`,
`content`, `summary`, `published`, `updated`, `author` and `category`, the names normalization
already reads, with the same caps on every value as XML items; `_` extensions and members
JSON Feed does not define are left out.
"""

import html
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from services.fetcher.parse.characters import clean_text
from services.fetcher.parse.decode import fix_warnings
from services.fetcher.parse.hardened import FeedParseError
from services.fetcher.parse.items import MAX_ELEMENTS_PER_ITEM, MAX_FIELD_CHARACTERS

MEDIA_TYPES = frozenset({"application/feed+json", "application/json"})
VERSION = re.compile(r"https?://jsonfeed\.org/version/1(?:\.\d+)?/?")
DECODER = json.JSONDecoder(strict=False)  # raw tabs and line breaks inside strings: common, harmless
SPACE = re.compile(r"[ \t\n\r]*")
TEXT_MEMBERS = {
    "title": "title",
    "summary": "summary",
    "date_published": "published",
    "date_modified": "updated",
}


@dataclass
class JsonFeed:
    text: str
    items_at: int | None  # where the items array starts
    warnings: list[str] = field(default_factory=list)  # damage: the items before it are read


def open_json_feed(text: str) -> JsonFeed:
    """Checks the whole text once, item by item; refuses what is not a JSON Feed."""
    try:
        version, items_at, damage = _top_level(text)
    except RecursionError:
        raise FeedParseError("refused JSON nested too deep") from None
    except ValueError as error:  # JSONDecodeError, and numbers too long to convert
        raise FeedParseError(f"not valid JSON: {error}") from None
    if not (isinstance(version, str) and VERSION.fullmatch(version.strip())):
        found = f"version {version!r}" if version is not None else "no version"
        raise FeedParseError(f"not a job feed: JSON with {found}, not https://jsonfeed.org/version/1.1")
    return JsonFeed(text, items_at, [damage] if damage else [])


def json_items(feed: JsonFeed, max_items: int, warnings: list[str]) -> Iterator[dict[str, Any]]:
    if feed.items_at is None:
        return
    fixes: Counter[str] = Counter()
    try:
        for position, entry in enumerate(_Elements(feed.text, feed.items_at)):
            if position == max_items:
                warnings.append(f"feed has more than {max_items} items: kept the first {max_items}")
                break
            yield _item(entry, fixes)
    except ValueError:  # the damage open_json_feed reported: the items before it are all read
        pass
    warnings += fix_warnings(fixes)


class _Elements:
    """The elements of the array at `at`, decoded one at a time; `count` and `end` as they go."""

    def __init__(self, text: str, at: int) -> None:
        self.text, self.at, self.count, self.end = text, at, 0, at

    def __iter__(self) -> Iterator[Any]:
        text, at = self.text, _skip(self.text, self.at + 1)
        while not text.startswith("]", at):
            value, at = DECODER.raw_decode(text, at)
            self.count += 1
            yield value
            at = _skip(text, at)
            if not text.startswith("]", at):
                at = _skip(text, _expect(text, at, ","))
        self.end = at + 1


def _top_level(text: str) -> tuple[Any, int | None, str | None]:
    """The version, where the items start, and the damage that cut the items short, if any."""
    version, items_at = None, None
    at = _skip(text, _expect(text, _skip(text, 0), "{"))
    while not text.startswith("}", at):
        if not text.startswith('"', at):
            raise json.JSONDecodeError("Expecting property name enclosed in double quotes", text, at)
        key, at = DECODER.raw_decode(text, at)
        at = _skip(text, _expect(text, _skip(text, at), ":"))
        if key == "items" and text.startswith("[", at):
            items, items_at = _Elements(text, at), at
            try:
                for _ in items:
                    pass
            except ValueError as error:
                if not items.count or version is None:
                    raise
                return version, items_at, f"JSON unreadable after {items.count} items, rest skipped: {error}"
            at = items.end
        else:
            value, at = DECODER.raw_decode(text, at)
            version = value if key == "version" else version
        at = _skip(text, at)
        if not text.startswith("}", at):
            at = _skip(text, _expect(text, at, ","))
    return version, items_at, None


def _skip(text: str, at: int) -> int:
    space = SPACE.match(text, at)
    return space.end() if space else at


def _expect(text: str, at: int, character: str) -> int:
    if not text.startswith(character, at):
        raise json.JSONDecodeError(f"Expecting {character!r}", text, at)
    return at + 1


def _item(entry: Any, fixes: Counter[str]) -> dict[str, Any]:
    if not isinstance(entry, dict):
        return {}  # becomes a failed status, as an empty XML item does
    item = {
        "id": _text(entry.get("id"), "id", fixes),  # JSON Feed 1.0 ids are often numbers
        "link": _text(entry.get("url"), "url", fixes)
        or _text(entry.get("external_url"), "external_url", fixes),
        "content": _content(entry, fixes),
        "author": _one_or_many(_authors(entry, fixes)),
        "category": _one_or_many(_tags(entry.get("tags"), fixes)),
    }
    item |= {name: _text(entry.get(member), member, fixes) for member, name in TEXT_MEMBERS.items()}
    return {name: value for name, value in item.items() if value is not None}


def _text(value: Any, name: str, fixes: Counter[str]) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    text = value if isinstance(value, str) else str(value)
    if len(text) > MAX_FIELD_CHARACTERS:
        fixes[f"truncated field '{name}' to 1 MiB"] += 1
        text = text[:MAX_FIELD_CHARACTERS]
    return clean_text(text, fixes).strip() or None


def _content(entry: dict[str, Any], fixes: Counter[str]) -> str | None:
    if rich := _text(entry.get("content_html"), "content_html", fixes):
        return rich
    plain = _text(entry.get("content_text"), "content_text", fixes)
    # As HTML, so that `<` stays text and each line stays a line (label lines such as "Salary: ...").
    return html.escape(plain, quote=False).replace("\n", "<br>\n") if plain else None


def _authors(entry: dict[str, Any], fixes: Counter[str]) -> list[dict[str, str]]:
    found = entry.get("authors", entry.get("author"))  # 1.1 has a list, 1.0 one object
    authors = [author for author in _capped(found, "authors", fixes) if isinstance(author, dict)]
    shaped = (
        {"name": _text(a.get("name"), "name", fixes), "uri": _text(a.get("url"), "url", fixes)}
        for a in authors
    )
    return [
        {key: value for key, value in author.items() if value} for author in shaped if any(author.values())
    ]


def _tags(tags: Any, fixes: Counter[str]) -> list[str]:
    return [text for tag in _capped(tags, "tags", fixes) if (text := _text(tag, "tags", fixes))]


def _capped(values: Any, name: str, fixes: Counter[str]) -> list[Any]:
    values = values if isinstance(values, list) else [] if values is None else [values]
    if len(values) > MAX_ELEMENTS_PER_ITEM:
        fixes[f"dropped {name} past {MAX_ELEMENTS_PER_ITEM} in one item"] += 1
    return values[:MAX_ELEMENTS_PER_ITEM]


def _one_or_many(values: list[Any]) -> Any:
    """As XML items hold them: one value alone, several as a list."""
    return None if not values else values[0] if len(values) == 1 else values
