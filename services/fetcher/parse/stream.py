"""Feed body → raw items, streamed in batches in bounded memory.

The body is read from a seekable file, chunk by chunk, two to five times; nothing but one chunk
and one batch is ever held. Sanitize (decode, drop forbidden characters) → strict pass (is it
well-formed, which format, channel facts) → if not, the same pass over repaired text → if still
not, the same pass item by item (see salvage) → the item pass, over the same text and in the
same way as the last pass. A body that ends early keeps its complete items. A JSON Feed is read
by jsonfeed instead, into items of the same shape (its text is held whole, its items are not).
"""

import codecs
import io
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import IO, Any
from xml.parsers.expat import ExpatError

from schemas.events import ParseMode
from services.fetcher.parse.decode import LEADING_NOISE, Transcoder, choose_encoding, fix_warnings
from services.fetcher.parse.hardened import FeedParseError, NeedsRepair, hardened_parser
from services.fetcher.parse.items import ItemBuilder, ItemFlood
from services.fetcher.parse.jsonfeed import MEDIA_TYPES, json_items, open_json_feed
from services.fetcher.parse.repair import XmlRepairer
from services.fetcher.parse.salvage import ItemPieces
from services.fetcher.parse.shape import FeedShape, scan

__all__ = ["FeedParseError", "FeedStream", "ParsedFeed", "parse_feed", "stream_feed"]

CHUNK_BYTES = 64 * 1024
PROLOG_BYTES = 1024

# Items read from one feed at most; FETCH_MAX_ITEMS's default (config.py reads it from here).
MAX_ITEMS = 50_000


@dataclass(frozen=True)
class ParsedFeed:
    format: str  # "rss" | "rdf" | "atom" | "indeed" | "jobs" | "json"
    items: list[dict[str, Any]]
    parse_mode: ParseMode = ParseMode.STRICT
    warnings: list[str] = field(default_factory=list)
    ttl_minutes: int | None = None


@dataclass
class FeedStream:
    format: str
    parse_mode: ParseMode
    ttl_minutes: int | None
    warnings: list[str]  # complete once batches() is exhausted
    _items: Iterator[dict[str, Any]]

    def batches(self, size: int) -> Iterator[list[dict[str, Any]]]:
        batch: list[dict[str, Any]] = []
        for item in self._items:
            batch.append(item)
            if len(batch) == size:
                yield batch
                batch = []
        if batch:
            yield batch


def parse_feed(
    body: bytes, charset: str | None = None, max_items: int = MAX_ITEMS, content_type: str | None = None
) -> ParsedFeed:
    stream = stream_feed(io.BytesIO(body), charset, max_items, content_type)
    items = [item for batch in stream.batches(max_items) for item in batch]
    return ParsedFeed(stream.format, items, stream.parse_mode, stream.warnings, stream.ttl_minutes)


def stream_feed(
    source: IO[bytes], charset: str | None = None, max_items: int = MAX_ITEMS, content_type: str | None = None
) -> FeedStream:
    source.seek(0)
    head = source.read(PROLOG_BYTES)
    encoding, warnings = choose_encoding(head, charset)
    if _is_json(head, encoding, content_type):
        return _stream_json(source, encoding, warnings, max_items)
    body = _Body(source, encoding, transcode=encoding not in ("utf-8", "utf-8-sig"))
    shape = None if body.transcode else scan(body.chunks())
    decoding: Counter[str] = Counter()
    if shape is None or shape.error:  # read it again, counting what decoding undoes
        body.transcode = True
        shape = scan(body.chunks(decoding))
        warnings += fix_warnings(decoding)
    if shape.error and not shape.truncated and shape.format:
        body.repairs = Counter()
        shape = scan(body.chunks(), flag_raw_html=False)
        if shape.error and not shape.truncated and shape.format:  # the structure itself is broken
            salvaged = scan(body.chunks(), flag_raw_html=False, item_by_item=shape.item_path)
            shape = replace(salvaged, error=shape.error)
        warnings += (
            [f"recovered malformed XML: {'; '.join(fix_warnings(body.repairs))}"] if body.repairs else []
        )
    warnings += _damage(shape)
    mode = ParseMode.RECOVERED if decoding or body.repairs is not None or shape.error else ParseMode.STRICT
    return FeedStream(
        shape.format, mode, shape.ttl_minutes, warnings, _items(body, shape, max_items, warnings)
    )


def _is_json(head: bytes, encoding: str, content_type: str | None) -> bool:
    first = head.decode(encoding, errors="ignore").lstrip(LEADING_NOISE)[:1]
    return first == "{" or (first not in ("<", "") and content_type in MEDIA_TYPES)


def _stream_json(source: IO[bytes], encoding: str, warnings: list[str], max_items: int) -> FeedStream:
    decoding: Counter[str] = Counter()
    transcoder = Transcoder(encoding, decoding)
    source.seek(0)
    utf8 = [transcoder.feed(chunk) for chunk in iter(lambda: source.read(CHUNK_BYTES), b"")]
    feed = open_json_feed((b"".join(utf8) + transcoder.feed(b"", final=True)).decode())
    warnings += fix_warnings(decoding) + feed.warnings
    mode = ParseMode.RECOVERED if decoding or feed.warnings else ParseMode.STRICT
    return FeedStream("json", mode, None, warnings, json_items(feed, max_items, warnings))


@dataclass
class _Body:
    """The body as UTF-8 chunks: as sent when it is already clean UTF-8, else transcoded, and
    repaired once `repairs` is set (a fresh count on every pass)."""

    source: IO[bytes]
    encoding: str
    transcode: bool
    repairs: Counter[str] | None = None

    def chunks(self, decoding: Counter[str] | None = None) -> Iterator[bytes]:
        self.source.seek(0)
        if not self.transcode:
            yield from _as_sent(self.source)
            return
        transcoder = Transcoder(self.encoding, Counter() if decoding is None else decoding)
        repairer = None
        if self.repairs is not None:
            self.repairs.clear()
            repairer = XmlRepairer(self.repairs)
        while chunk := self.source.read(CHUNK_BYTES):
            utf8 = transcoder.feed(chunk)
            yield repairer.feed(utf8.decode()).encode() if repairer else utf8
        utf8 = transcoder.feed(b"", final=True)
        yield repairer.feed(utf8.decode(), final=True).encode() if repairer else utf8


def _as_sent(source: IO[bytes]) -> Iterator[bytes]:
    started = False
    while chunk := source.read(CHUNK_BYTES):
        if not started:  # as the transcoder does: no byte order mark, no whitespace before the prolog
            chunk = chunk.removeprefix(codecs.BOM_UTF8).lstrip(b" \t\r\n")
            started = bool(chunk)
        yield chunk


def _damage(shape: FeedShape) -> list[str]:
    """Warnings for damage the item pass will stop at or skip; a feed with nothing readable is an error."""
    if not shape.format:
        raise FeedParseError("empty body" if shape.empty else f"not well-formed XML: {shape.error}")
    if shape.error is None:
        return []
    if shape.truncated and shape.items:
        return [f"feed truncated after {shape.items} items"]
    if shape.truncated:
        raise FeedParseError(f"feed truncated before its first item: {shape.error}")
    if shape.items:
        return shape.damage
    raise FeedParseError(f"not well-formed XML even after repair: {shape.error}")


def _items(body: _Body, shape: FeedShape, max_items: int, warnings: list[str]) -> Iterator[dict[str, Any]]:
    fixes: Counter[str] = Counter()
    builder, parser = ItemBuilder(shape.item_path, max_items, fixes), hardened_parser()
    builder.attach(parser)
    pieces = (
        ItemPieces(shape.item_path, parser, builder.restart, lambda: builder.count)
        if shape.item_by_item
        else None
    )
    reader = pieces or parser
    try:
        for utf8 in body.chunks():
            reader.Parse(utf8, False)
            yield from _drain(builder.done)
        reader.Parse(b"", True)
    except ItemFlood as flood:
        warnings.append(str(flood))
    except (ExpatError, NeedsRepair) as error:
        if shape.error is None:  # the last pass accepted this very text: a bug, not damage
            raise FeedParseError(f"XML error the strict pass did not see: {error}") from error
    yield from _drain(builder.done)
    warnings += fix_warnings(fixes)


def _drain(done: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    taken = done.copy()
    done.clear()
    yield from taken
