"""Feed bytes → raw items: detect the feed's shape, and recover once from common XML damage.

Items come back as xmltodict dicts keyed by local names (`job_listing:company` → `company`,
`@rdf:about` → `@about`), because sites pick their own namespace URIs and prefixes for the
same fields; matching on the local name is what stays stable.
"""

import codecs
import re
from collections import Counter
from dataclasses import dataclass, field
from html.entities import name2codepoint
from typing import Any
from xml.parsers.expat import ExpatError

import xmltodict

from schemas.events import ParseMode

UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# Zero-width and control characters are invisible noise in titles, ids and descriptions; a
# zero-width joiner between two emoji is kept, since it is part of the emoji (🧑‍💻).
EMOJI = r"\U0001F000-\U0001FAFF\u2600-\u27BF"
INVISIBLE = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b\u200c\u2060\ufeff]"
    rf"|(?<![{EMOJI}\ufe0f])\u200d|\u200d(?![{EMOJI}])"
)
MAYBE_INVISIBLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200d\u2060\ufeff]")
XML_PREDEFINED_ENTITIES = {"amp", "lt", "gt", "quot", "apos"}
# CDATA sections and comments come first so their `&` are left exactly as written.
AMPERSAND = re.compile(
    r"<!\[CDATA\[.*?\]\]>|<!--.*?-->|&(#[0-9]+;|#[xX][0-9a-fA-F]+;|[A-Za-z][A-Za-z0-9]*;)?",
    re.DOTALL,
)
RAW_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
DECLARED_ENCODING = re.compile(rb"^<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")


class FeedParseError(Exception):
    """The body is not a feed we can read: the run fails with this message."""


@dataclass(frozen=True)
class ParsedFeed:
    format: str  # "rss" | "rdf" | "atom" | "indeed" | "jobs"
    items: list[dict[str, Any]]
    parse_mode: ParseMode = ParseMode.STRICT
    warnings: list[str] = field(default_factory=list)
    ttl_minutes: int | None = None


def parse_feed(body: bytes) -> ParsedFeed:
    document = body.lstrip().removeprefix(UTF8_BOM).lstrip()
    if not document:
        raise FeedParseError("empty body")
    tree, mode, warnings = _read_tree(document)
    root_name, root = next(iter(_localize(tree).items()))
    fmt, items = _locate_items(root_name, _as_dict(root))
    ttl = _ttl_minutes(root) if fmt == "rss" else None
    return ParsedFeed(fmt, [_as_dict(item) for item in _as_list(items)], mode, warnings, ttl)


def _read_tree(document: bytes) -> tuple[dict[str, Any], ParseMode, list[str]]:
    try:
        return _parse_xml(document), ParseMode.STRICT, []
    except ExpatError as strict_error:
        tree, warnings = _parse_repaired(document, strict_error)
        return tree, ParseMode.RECOVERED, warnings


def _parse_xml(document: bytes, encoding: str | None = None) -> dict[str, Any]:
    try:
        tree: dict[str, Any] = xmltodict.parse(
            document, encoding=encoding, process_namespaces=False, disable_entities=True
        )
    except ValueError as error:  # raised by xmltodict for any <!ENTITY> declaration
        raise FeedParseError(f"refused XML that declares entities: {error}") from error
    return tree


def _parse_repaired(document: bytes, strict_error: ExpatError) -> tuple[dict[str, Any], list[str]]:
    text, fixes = _decode(document)
    text, repairs = _repair(text)
    fixes += repairs
    if not fixes:
        raise FeedParseError(f"not well-formed XML: {strict_error}")
    try:
        tree = _parse_xml(text.encode(), encoding="utf-8")  # overrides the prolog's encoding
    except ExpatError as error:
        raise FeedParseError(f"not well-formed XML even after repair: {error}") from error
    return tree, [f"recovered malformed XML: {'; '.join(fixes)}"]


def _decode(document: bytes) -> tuple[str, list[str]]:
    encoding = _declared_encoding(document)
    try:
        return document.decode(encoding), []
    except UnicodeDecodeError:
        return document.decode(encoding, errors="replace"), [f"replaced bytes invalid in {encoding}"]


def _declared_encoding(document: bytes) -> str:
    if document.startswith(UTF16_BOMS):
        return "utf-16"
    declared = DECLARED_ENCODING.match(document)
    try:
        return codecs.lookup(declared.group(1).decode()).name if declared else "utf-8"
    except LookupError:
        return "utf-8"


def _repair(text: str) -> tuple[str, list[str]]:
    fixed: Counter[str] = Counter()

    def escape(match: re.Match[str]) -> str:
        token, reference = match.group(0), match.group(1)
        if not token.startswith("&") or (reference or "").startswith("#"):
            return token
        name = (reference or ";")[:-1]
        if name in XML_PREDEFINED_ENTITIES:
            return token
        if name in name2codepoint:
            fixed[f"replaced HTML entity &{name};"] += 1
            return f"&#{name2codepoint[name]};"
        fixed[f"escaped unknown entity &{name};" if name else "escaped bare '&'"] += 1
        return "&amp;" + (reference or "")

    text = AMPERSAND.sub(escape, text)
    text, controls = RAW_CONTROL.subn("", text)
    fixes = [f"{what} x{count}" for what, count in sorted(fixed.items())]
    return text, fixes + ([f"removed control characters x{controls}"] if controls else [])


def _localize(node: Any) -> Any:
    if isinstance(node, str):
        return INVISIBLE.sub("", node) if MAYBE_INVISIBLE.search(node) else node
    if isinstance(node, list):
        return [_localize(child) for child in node]
    if not isinstance(node, dict):
        return node
    localized: dict[str, Any] = {}
    # Unprefixed keys first, so `title` comes before `dc:title` when both are merged.
    for key in sorted(node, key=lambda key: ":" in key):
        if not key.startswith("@xmlns"):
            _merge(localized, _local_name(key), _localize(node[key]))
    return localized


def _local_name(key: str) -> str:
    marker = "@" if key.startswith("@") else ""
    return marker + key.removeprefix("@").rpartition(":")[2]


def _merge(target: dict[str, Any], key: str, value: Any) -> None:
    if key in target:
        value = _as_list(target[key]) + _as_list(value)
    target[key] = value


def _locate_items(root_name: str, root: dict[str, Any]) -> tuple[str, Any]:
    match root_name:
        case "rss":
            return "rss", _as_dict(root.get("channel")).get("item")
        case "RDF":
            return "rdf", root.get("item")
        case "feed":
            return "atom", root.get("entry")
        case "source" if "jobs" in root:
            return "jobs", _as_dict(root["jobs"]).get("job")
        case "source":
            return "indeed", root.get("job")
        case "jobs":
            return "jobs", root.get("job")
    raise FeedParseError(f"not a job feed: root <{root_name}>")


def _ttl_minutes(root: Any) -> int | None:
    ttl = _as_dict(_as_dict(root).get("channel")).get("ttl")
    return int(ttl) if isinstance(ttl, str) and ttl.strip().isdigit() else None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _as_dict(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    return {"#text": value} if isinstance(value, str) else {}
