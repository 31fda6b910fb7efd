"""The cheap first pass over a whole feed: is it well-formed, which format is it, where do its
items sit, and the channel facts every batch needs before the first item is read."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from xml.parsers import expat
from xml.parsers.expat import ExpatError

from services.fetcher.parse.hardened import MAX_DEPTH, FeedParseError, NeedsRepair, hardened_parser
from services.fetcher.parse.repair import HTML_FIELDS, HTML_TAGS
from services.fetcher.parse.salvage import ItemPieces

FORMAT_OF_ROOT = {"rss": "rss", "RDF": "rdf", "feed": "atom", "source": "indeed", "jobs": "jobs"}
ITEM_PATHS = {
    "rss": ("rss", "channel", "item"),
    "rdf": ("RDF", "item"),
    "atom": ("feed", "entry"),
    "indeed": ("source", "job"),
    "jobs": ("jobs", "job"),
}
NESTED_JOBS = ("source", "jobs", "job")  # custom exports that wrap <jobs> in a <source>
TTL_PATH = ["rss", "channel", "ttl"]


@dataclass
class FeedShape:
    format: str = ""
    item_path: tuple[str, ...] = ()
    ttl_minutes: int | None = None
    items: int = 0  # items complete before `error`, or in the whole feed
    error: str | None = None
    truncated: bool = False  # the error is the body ending early
    empty: bool = True
    item_by_item: bool = False  # read one item at a time (see salvage); `damage` says what was lost
    damage: list[str] = field(default_factory=list)


class _Scanner:
    def __init__(self, flag_raw_html: bool) -> None:
        self.shape, self.path, self.flag_raw_html = FeedShape(), list[str](), flag_raw_html
        self.ttl: list[str] = []
        self.item_path: list[str] = []
        self.parser = hardened_parser()
        self.parser.StartElementHandler, self.parser.EndElementHandler = self.start, self.end

    def start(self, name: str, attributes: list[str]) -> None:
        local, path = name.rpartition(":")[2], self.path
        if not path:
            self._root(local)
        elif path[-1] in HTML_FIELDS and self.flag_raw_html and local.lower() in HTML_TAGS:
            raise NeedsRepair(f"raw HTML <{local}> inside <{path[-1]}>")
        elif local == "jobs" and path == ["source"] and not self.shape.items:
            self.shape.format, self.item_path = "jobs", list(NESTED_JOBS)
        path.append(local)
        if len(path) > MAX_DEPTH:
            raise FeedParseError(f"refused XML nested deeper than {MAX_DEPTH} elements")
        if local == "ttl" and path == TTL_PATH:
            self.parser.CharacterDataHandler = self.ttl.append

    def restart(self, parser: expat.XMLParserType) -> None:
        """Go on in a fresh parser, inside the elements around the items."""
        self.path, self.parser = self.item_path[:-1], parser
        parser.StartElementHandler, parser.EndElementHandler = self.start, self.end

    def _root(self, local: str) -> None:
        if local not in FORMAT_OF_ROOT:
            raise FeedParseError(f"not a job feed: root <{local}>")
        self.shape.format = FORMAT_OF_ROOT[local]
        self.item_path = list(ITEM_PATHS[self.shape.format])

    def end(self, name: str) -> None:
        path = self.path
        # Lists compare without allocating, and length first: cheap on every end tag.
        if path == self.item_path:
            self.shape.items += 1
        elif path == TTL_PATH:
            self.parser.CharacterDataHandler = None
            ttl = "".join(self.ttl).strip()
            self.shape.ttl_minutes = int(ttl) if ttl.isdigit() else None
        path.pop()


def scan(
    utf8_chunks: Iterable[bytes], flag_raw_html: bool = True, item_by_item: tuple[str, ...] = ()
) -> FeedShape:
    """The feed's shape; given `item_by_item` (the item path), each item is read on its own."""
    scanner = _Scanner(flag_raw_html)
    shape = scanner.shape
    pieces = (
        ItemPieces(item_by_item, scanner.parser, scanner.restart, lambda: shape.items)
        if item_by_item
        else None
    )
    parser = pieces or scanner.parser
    try:
        for utf8 in utf8_chunks:
            shape.empty = shape.empty and not utf8
            parser.Parse(utf8, False)
        shape.truncated = True  # only the end of the body is left to fail
        parser.Parse(b"", True)
        shape.truncated = False
    except (ExpatError, NeedsRepair) as error:
        shape.error = str(error)
    shape.item_path = tuple(scanner.item_path)
    if pieces:
        shape.item_by_item, shape.damage = True, pieces.damage
    return shape
