"""Item shaping alone, the fetcher's ItemBuilder against xmltodict's streaming mode, on the same
UTF-8 text: what xmltodict gives as is, and what it takes to make that the items the fetcher
needs (local names, cleaned and capped values). Run by `python -m bench.parse`.

Both sides see text the fetcher's strict pass accepted, so neither meets repair or salvage in the
timings; `odd_inputs` then shows what each makes of an undeclared entity, deep nesting, a huge
field and an item left open.
"""

import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import xmltodict

from services.fetcher.parse.characters import clean_text
from services.fetcher.parse.hardened import hardened_parser
from services.fetcher.parse.items import MAX_FIELD_CHARACTERS, ItemBuilder
from services.fetcher.parse.shape import scan
from services.fetcher.parse.stream import parse_feed

Shaper = Callable[[bytes, tuple[str, ...]], list[Any]]


def ours(utf8: bytes, item_path: tuple[str, ...]) -> list[Any]:
    builder, parser = ItemBuilder(item_path, 50_000, Counter()), hardened_parser()
    builder.attach(parser)
    parser.Parse(utf8, True)
    return builder.done


def xmltodict_as_is(utf8: bytes, item_path: tuple[str, ...]) -> list[Any]:
    items: list[Any] = []

    def collect(path: list[tuple[str, Any]], item: Any) -> bool:
        # Every element at the items' depth comes here (an RSS channel's title, link, ttl, ...).
        if tuple(name.rpartition(":")[2] for name, _ in path) == item_path:
            items.append(item)
        return True

    xmltodict.parse(utf8, item_depth=len(item_path), item_callback=collect, disable_entities=True)
    return items


def xmltodict_as_ours(utf8: bytes, item_path: tuple[str, ...]) -> list[Any]:
    """xmltodict's items made into the fetcher's: one more walk over every item."""
    fixes: Counter[str] = Counter()
    return [_item(item, fixes) for item in xmltodict_as_is(utf8, item_path)]


def _item(item: Any, fixes: Counter[str]) -> Any:
    shaped = _value(item, fixes)
    return shaped if isinstance(shaped, dict) else {"#text": shaped} if shaped else {}


def _value(value: Any, fixes: Counter[str]) -> Any:
    if isinstance(value, str):
        return clean_text(value[:MAX_FIELD_CHARACTERS], fixes).strip() or None
    if isinstance(value, list):
        return [_value(each, fixes) for each in value]
    if value is None:
        return None
    shaped = {
        key: _value(each, fixes)
        for key, each in value.items()
        if key != "@xmlns" and not key.startswith("@xmlns:")
    }
    if not any(":" in key for key in shaped):
        return shaped
    local: dict[str, Any] = {}
    # As ItemBuilder merges them: unprefixed keys first, so `title` comes before `dc:title`.
    for key in sorted(shaped, key=lambda key: ":" in key):
        name = ("@" if key.startswith("@") else "") + key.rpartition(":")[2]
        local[name] = _as_list(local[name]) + _as_list(shaped[key]) if name in local else shaped[key]
    return local


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _best_seconds(shaper: Shaper, feeds: list[tuple[bytes, tuple[str, ...]]], rounds: int) -> float:
    """CPU seconds of the least disturbed round: on a shared machine, wall time measures the others."""
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        for utf8, item_path in feeds:
            shaper(utf8, item_path)
        best = min(best, time.process_time() - started)
    return best


def readable(paths: list[Path]) -> list[tuple[bytes, tuple[str, ...]]]:
    """The feeds whose bytes are well-formed UTF-8 as sent, with their item paths."""
    feeds = []
    for path in paths:
        body = path.read_bytes()
        shape = scan([body])
        if shape.error is None and shape.format:
            feeds.append((body, shape.item_path))
    return feeds


def compare(paths: list[Path], rounds: int, label: str) -> None:
    feeds = readable(paths)
    items = sum(len(ours(*feed)) for feed in feeds)
    megabytes = sum(len(body) for body, _ in feeds) / 1e6
    same = sum(a == b for feed in feeds for a, b in zip(ours(*feed), xmltodict_as_ours(*feed), strict=True))
    print(f"item shaping, {label}: {len(feeds)} feeds, {megabytes:.1f} MB, {items} items")
    print(f"  xmltodict made into ours: {same} of {items} items identical to ItemBuilder's")
    base = _best_seconds(ours, feeds, rounds)
    for name, shaper in (
        ("ItemBuilder", ours),
        ("xmltodict as is", xmltodict_as_is),
        ("xmltodict made into ours", xmltodict_as_ours),
    ):
        seconds = base if shaper is ours else _best_seconds(shaper, feeds, rounds)
        speed = f"{items / seconds:9,.0f} items/s {megabytes / seconds:6.1f} MB/s"
        print(f"  {name:24} {speed}  {seconds / base:.2f}x ItemBuilder's time")


def _xmltodict_items(body: bytes) -> list[Any] | str:
    try:
        return xmltodict_as_is(body, ("rss", "channel", "item"))
    except Exception as error:
        return f"{type(error).__name__}: {error}"


def _fetcher_items(body: bytes) -> list[Any] | str:
    try:
        return parse_feed(body).items
    except Exception as error:
        return f"{type(error).__name__}: {error}"


def _rss(item: bytes, prolog: bytes = b"") -> bytes:
    return prolog + b"<rss><channel><item><title>t</title>" + item + b"</item></channel></rss>"


NETSCAPE_DTD = b'<!DOCTYPE rss PUBLIC "-//Netscape//DTD RSS 0.91//EN" "http://my.netscape.com/rss-0.91.dtd">'
ODD_INPUTS = {
    "&eacute; after an external DTD": _rss(b"<company>Caf&eacute; Ltd</company>", NETSCAPE_DTD),
    "5,000 nested elements": _rss(b"<a>" * 5000 + b"x" + b"</a>" * 5000),
    "a 2 MiB field": _rss(b"<description>" + b"x" * 2 * 1024 * 1024 + b"</description>"),
    "an item left open": _rss(b"<url>https://a.example/1</item><item><title>u</title></item>"),
}


def odd_inputs() -> None:
    """What each side makes of inputs the fetcher's tests pin (hostile, damaged, odd)."""
    print("odd inputs: xmltodict.parse(item_depth, item_callback, disable_entities) | stream_feed")
    for name, body in ODD_INPUTS.items():
        print(f"  {name}:")
        print(f"    xmltodict: {_summary(_xmltodict_items(body))}")
        print(f"    fetcher:   {_summary(_fetcher_items(body))}")


def _summary(items: list[Any] | str) -> str:
    if isinstance(items, str):
        return items[:100]
    return f"{len(items)} items {[_brief(item) for item in items]}"[:150]


def _brief(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _brief(each) for key, each in value.items()} if _depth(value) < 3 else "<nested>"
    text = str(value)
    return value if len(text) < 40 else f"<{len(text):,} chars>"


def _depth(value: Any) -> int:
    depth = 0
    while isinstance(value, dict) and value:
        value, depth = next(iter(value.values())), depth + 1
    return depth
