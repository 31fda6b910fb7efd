"""The items of a feed whose structure is broken even after repair, each read on its own.

An element left open inside an item (`<url>https://...` and no `</url>`) or closed out of order
breaks the structure of everything after it: expat stops there, and a recovering parser such
as libxml2's guesses, nesting every later item inside the broken one (whose fields, its guid
among them, then land in the wrong places). Instead the text is cut before every item's start
tag and each piece is read by a fresh hardened parser, inside the elements around the items: a
broken item is lost alone, with a warning naming its line, and every other item reads as it
would in a well-formed feed.
"""

import re
from collections.abc import Callable, Iterator
from typing import Any
from xml.parsers import expat
from xml.parsers.expat import ExpatError

from services.fetcher.parse.hardened import NeedsRepair, hardened_parser

LONGEST_PREFIX = 64  # namespace prefixes are short; an item tag with a longer one is not cut at
MAX_DAMAGE_WARNINGS = 20


class _Cuts:
    """Splits UTF-8 chunks before each start tag with the items' local name (any prefix), outside
    CDATA sections and comments; None marks a cut."""

    def __init__(self, local_name: str) -> None:
        name = re.escape(local_name.encode())
        self._cut = re.compile(
            rb"<!\[CDATA\[|<!--|<(?:[A-Za-z_][\w.-]{0,%d}:)?%s[\s/>]" % (LONGEST_PREFIX, name)
        )
        self._longest = LONGEST_PREFIX + len(local_name) + 4
        self._closing: bytes | None = None  # the end of the CDATA section or comment we are in
        self._pending = b""

    def split(self, chunk: bytes, final: bool) -> Iterator[bytes | None]:
        buffer, start, position = self._pending + chunk, 0, 0
        while True:
            if self._closing:
                end = buffer.find(self._closing, position)
                if end < 0:  # keep what may be the start of the closing for the next chunk
                    position = len(buffer) if final else max(position, len(buffer) - len(self._closing) + 1)
                    break
                position, self._closing = end + len(self._closing), None
                continue
            found = self._cut.search(buffer, position)
            if found is None:
                position = len(buffer) if final else self._settled(buffer, position)
                break
            if found[0].startswith(b"<!"):
                position, self._closing = found.end(), b"]]>" if found[0] == b"<![CDATA[" else b"-->"
                continue
            if found.start() > start:
                yield buffer[start : found.start()]
            yield None
            start, position = found.start(), found.end()
        if position > start:
            yield buffer[start:position]
        self._pending = buffer[position:]

    def _settled(self, buffer: bytes, position: int) -> int:
        """Where the part of the buffer that may still become a cut, once more text arrives, begins."""
        tail = buffer.rfind(b"<", max(position, len(buffer) - self._longest))
        return len(buffer) if tail < 0 else tail


class ItemPieces:
    """Stands in for the expat parser of one pass over a broken feed: the text before the first
    item is read as written by `parser`, then each item by a fresh parser that `restart` attaches
    the pass's handlers to; `items()` counts the items the pass completed. `damage` says what was
    lost, line by line."""

    def __init__(
        self,
        item_path: tuple[str, ...],
        parser: expat.XMLParserType,
        restart: Callable[[expat.XMLParserType], None],
        items: Callable[[], int],
    ) -> None:
        self.damage: list[str] = []
        self._item_path, self._restart, self._items = item_path, restart, items
        self._cuts = _Cuts(item_path[-1])
        self._parser, self._open = parser, self._track_open_elements(parser)
        self._outer: bytes | None = None  # the start tags around the items, once known
        self._line, self._newlines = 1, 0  # where the current piece starts, and lines in it so far
        self._error: str | None = None
        self._in_item, self._items_before = False, 0
        self._unreported = 0

    def Parse(self, data: bytes, final: bool = False) -> None:  # named as expat names it
        for piece in self._cuts.split(data, final):
            if piece is None:
                self._next_piece()
            else:
                self._read(piece)
        if final:
            self._read(b"", final=True)
            self._end_piece()
            if self._unreported:
                self.damage.append(f"... and {self._unreported} more")

    def _read(self, data: bytes, final: bool = False) -> None:
        if self._error is None:
            try:
                self._parser.Parse(data, final)
            except (ExpatError, NeedsRepair) as error:
                self._error = self._error_text(error)
        self._newlines += data.count(b"\n")

    def _next_piece(self) -> None:
        self._end_piece()
        if self._outer is None:
            self._outer = self._outer_start_tags()
        self._line, self._newlines = self._line + self._newlines, 0
        parser = hardened_parser()
        parser.Parse(self._outer, False)  # before `restart` attaches the handlers: they never see it
        self._restart(parser)
        self._parser, self._error, self._in_item, self._items_before = parser, None, True, self._items()

    def _end_piece(self) -> None:
        if self._in_item and self._items() == self._items_before:
            reason = self._error or f"<{self._item_path[-1]}> not closed before the next one"
            self._report(f"dropped the broken item at line {self._line}: {reason}")
        elif self._error:  # outside any item: nothing lost but the damage itself
            self._report(f"skipped XML unreadable even after repair: {self._error}")

    def _report(self, warning: str) -> None:
        if len(self.damage) < MAX_DAMAGE_WARNINGS:
            self.damage.append(warning)
        else:
            self._unreported += 1

    def _error_text(self, error: ExpatError | NeedsRepair) -> str:
        if isinstance(error, ExpatError):
            return f"{expat.errors.messages[error.code]} at line {self._line + error.lineno - 1}"
        return f"{error} at line {self._line + self._parser.CurrentLineNumber - 1}"

    def _track_open_elements(self, parser: expat.XMLParserType) -> list[str]:
        """The qualified names of the open elements, while the text before the first item is read."""
        names: list[str] = []
        start: Any = parser.StartElementHandler  # typeshed's types assume dict attributes
        end: Any = parser.EndElementHandler

        def started(name: str, attributes: list[str]) -> None:
            names.append(name)
            start(name, attributes)

        def ended(name: str) -> None:
            names.pop()
            end(name)

        parser.StartElementHandler, parser.EndElementHandler = started, ended
        return names

    def _outer_start_tags(self) -> bytes:
        # The names as written (`rdf:RDF`), so the feed's own end tags close them; the local
        # names when the text before the items is itself damaged.
        outer = self._item_path[:-1]
        written = self._open if tuple(name.rpartition(":")[2] for name in self._open) == outer else outer
        return "".join(f"<{name}>" for name in written).encode()
