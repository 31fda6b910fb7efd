"""Expat events → one dict per feed item, shaped as xmltodict shapes them, keyed by local names.

Local names (`job_listing:company` → `company`, `@rdf:about` → `@about`) because sites pick their
own namespace URIs and prefixes for the same fields; the local name is what stays stable. Every
value is capped, so one hostile item cannot exhaust memory.
"""

from collections import Counter
from typing import Any
from xml.parsers import expat

from services.fetcher.parse.characters import clean_text

MAX_FIELD_CHARACTERS = 1024 * 1024
MAX_ELEMENTS_PER_ITEM = 10_000


class ItemFlood(Exception):
    """More items than the caller wants: parsing stops here."""


class _Element:
    __slots__ = ("children", "ignored", "name", "size", "texts")

    def __init__(self, name: str, children: dict[str, Any] | None, ignored: bool = False) -> None:
        self.name, self.children, self.ignored = name, children, ignored
        self.texts: list[str] = []
        self.size = 0


class ItemBuilder:
    """Expat handlers; complete items gather in `done`, and `fixes` counts what was capped or cleaned."""

    def __init__(self, item_path: tuple[str, ...], max_items: int, fixes: Counter[str]) -> None:
        self.item_path, self.max_items, self.fixes = item_path, max_items, fixes
        self.done: list[dict[str, Any]] = []
        self.count = 0
        self._outside: list[str] = []  # local names of the open elements around the items
        self._open: list[_Element] = []  # open elements of the current item
        self._elements = 0

    def attach(self, parser: expat.XMLParserType) -> None:
        parser.StartElementHandler, parser.EndElementHandler = self.start, self.end
        parser.CharacterDataHandler = self.characters

    def restart(self, parser: expat.XMLParserType) -> None:
        """Go on in a fresh parser, inside the elements around the items; a half-read item is dropped."""
        self._outside, self._open = list(self.item_path[:-1]), []
        self.attach(parser)

    def start(self, name: str, attributes: list[str]) -> None:
        if self._open:
            self._elements += 1
            ignored = self._open[-1].ignored or self._elements > MAX_ELEMENTS_PER_ITEM
            if self._elements == MAX_ELEMENTS_PER_ITEM + 1:
                self.fixes[f"dropped elements past {MAX_ELEMENTS_PER_ITEM} in one item"] += 1
            self._open.append(_Element(name, None if ignored else self._attributes(attributes), ignored))
        elif self._starts_item(name.rpartition(":")[2]):
            if self.count == self.max_items:
                raise ItemFlood(f"feed has more than {self.max_items} items: kept the first {self.max_items}")
            self._elements = 0
            self._open.append(_Element(name, self._attributes(attributes)))
        else:
            self._outside.append(name.rpartition(":")[2])

    def _starts_item(self, local: str) -> bool:
        path = self.item_path
        return len(self._outside) == len(path) - 1 and local == path[-1] and tuple(self._outside) == path[:-1]

    def end(self, name: str) -> None:
        if not self._open:
            self._outside.pop()
            return
        element = self._open.pop()
        if element.ignored:
            return
        value = self._value(element)
        if self._open:
            _push(self._open[-1], element.name, value)
        else:
            self.done.append(value if isinstance(value, dict) else {"#text": value} if value else {})
            self.count += 1

    def characters(self, data: str) -> None:
        if not self._open or (element := self._open[-1]).ignored:
            return
        room = MAX_FIELD_CHARACTERS - element.size
        if len(data) > room and room >= 0:
            self.fixes[f"truncated field '{element.name.rpartition(':')[2]}' to 1 MiB"] += 1
        if room > 0:
            element.texts.append(data[:room])
        element.size += len(data)

    def _attributes(self, flat: list[str]) -> dict[str, Any] | None:
        if not flat:
            return None
        pairs = zip(flat[0::2], flat[1::2], strict=True)
        return {
            "@" + key: clean_text(value[:MAX_FIELD_CHARACTERS], self.fixes)
            for key, value in pairs
            if key != "xmlns" and not key.startswith("xmlns:")
        } or None

    def _value(self, element: _Element) -> Any:
        text = clean_text("".join(element.texts), self.fixes).strip() or None
        if element.children is None:
            return text
        if text:
            element.children["#text"] = text
        return _localized(element.children)


def _push(parent: _Element, key: str, value: Any) -> None:
    if parent.children is None:
        parent.children = {}
    if key not in parent.children:
        parent.children[key] = value
    elif isinstance(existing := parent.children[key], list):
        existing.append(value)
    else:
        parent.children[key] = [existing, value]


def _localized(children: dict[str, Any]) -> dict[str, Any]:
    if not any(":" in key for key in children):
        return children
    localized: dict[str, Any] = {}
    # Unprefixed keys first, so `title` comes before `dc:title` when both are merged.
    for key in sorted(children, key=lambda key: ":" in key):
        attribute, name = ("@", key[1:]) if key.startswith("@") else ("", key)
        local = attribute + name.rpartition(":")[2]  # "dc:title" -> "title", "@xml:lang" -> "@lang"
        if local in localized:
            localized[local] = _as_list(localized[local]) + _as_list(children[key])
        else:
            localized[local] = children[key]
    return localized


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
