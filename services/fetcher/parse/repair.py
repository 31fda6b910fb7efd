"""Malformed feed XML → well-formed XML, chunk by chunk, changing only what was broken.

A bare `&` is escaped, an HTML named entity becomes a numeric reference, a stray `<` is escaped,
and raw HTML inside a description-like element is wrapped in CDATA so it survives as text.
Markup is tokenized, not pattern-replaced: CDATA, comments and the DOCTYPE pass through as
written, and inside a tag only references are fixed, so an attribute value or URL still means
what its author meant.
"""

import html
import re
from collections import Counter
from html.entities import html5

HTML_FIELDS = frozenset({"description", "summary", "content", "encoded", "html_description"})
HTML_TAGS = frozenset(
    {"a", "abbr", "b", "big", "blockquote", "br", "center", "code", "dd", "div", "dl", "dt", "em", "font"}
    | {"h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "small", "span"}
    | {"strike", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "u", "ul"}
)
XML_PREDEFINED_ENTITIES = frozenset({"amp", "lt", "gt", "quot", "apos"})
MARKUP = re.compile(
    r"<!\[CDATA\[.*?\]\]>|<!--.*?-->|<\?.*?\?>|<!DOCTYPE(?:[^\[>]|\[.*?\])*>"
    r"|<(?P<close>/)?(?P<name>[A-Za-z_][\w.:-]*)(?:\s(?:[^<>\"']|\"[^\"]*\"|'[^']*')*)?/?>",
    re.DOTALL,
)
REFERENCE = re.compile(r"&(?:#([0-9]{1,7});|#[xX]([0-9a-fA-F]{1,6});|([A-Za-z][A-Za-z0-9]*);)?")
# What may still become markup or a reference once the next chunk arrives.
UNFINISHED = re.compile(r"<(?:[!?].*|/?(?:[A-Za-z_][^<>]*)?)?|&#?[xX]?[0-9A-Za-z]{0,32}", re.DOTALL)
CDATA_SECTION = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.DOTALL)
TAG_NAME = re.compile(r"</?(?:[\w.-]+:)?([A-Za-z][A-Za-z0-9]*)")
SPECIAL = re.compile("[<&]")
LONGEST_TOKEN = 4 * 1024 * 1024  # past this, an unfinished token is damage, not a chunk boundary


class XmlRepairer:
    """Feed it text chunks in order; it returns repaired text and counts each fix in `fixes`."""

    def __init__(self, fixes: Counter[str]) -> None:
        self.fixes = fixes
        self._pending = ""

    def feed(self, text: str, final: bool = False) -> str:
        buffer, position, repaired = self._pending + text, 0, []
        while special := SPECIAL.search(buffer, position):
            repaired.append(buffer[position : special.start()])
            position = special.start()
            complete = final or len(buffer) - position > LONGEST_TOKEN
            token = self._token(buffer, position, complete)
            if token is None:
                break
            fixed, position = token
            repaired.append(fixed)
        else:
            repaired.append(buffer[position:])
            position = len(buffer)
        self._pending = buffer[position:]
        return "".join(repaired)

    def _token(self, buffer: str, at: int, complete: bool) -> tuple[str, int] | None:
        markup = MARKUP.match(buffer, at) if buffer[at] == "<" else None
        if markup is None and not complete and UNFINISHED.fullmatch(buffer, at):
            return None
        if buffer[at] == "&":
            reference = REFERENCE.match(buffer, at)
            assert reference is not None  # matches any `&`, with or without a reference after it
            return self._reference(reference), reference.end()
        if markup is None:
            return self._stray_less_than(complete and bool(UNFINISHED.fullmatch(buffer, at))), at + 1
        if markup["name"] and not markup["close"] and not markup[0].endswith("/>"):
            return self._start_tag(buffer, markup, complete)
        if markup["name"]:
            return REFERENCE.sub(self._reference, markup[0]), markup.end()
        return markup[0], markup.end()

    def _stray_less_than(self, truncated: bool) -> str:
        if truncated:  # the body ends inside a token: leave it for the parser to report
            return "<"
        self.fixes["escaped stray '<'"] += 1
        return "&lt;"

    def _start_tag(self, buffer: str, tag: re.Match[str], complete: bool) -> tuple[str, int] | None:
        start_tag = REFERENCE.sub(self._reference, tag[0])
        if tag["name"].rpartition(":")[2] not in HTML_FIELDS:
            return start_tag, tag.end()
        end_tag = re.compile(rf"</{re.escape(tag['name'])}\s*>").search(buffer, tag.end())
        if end_tag is None:
            return (start_tag, tag.end()) if complete else None
        content = buffer[tag.end() : end_tag.start()]
        if not _holds_raw_html(content):
            return start_tag, tag.end()
        self.fixes[f"kept raw HTML inside <{tag['name']}> as text"] += 1
        return start_tag + _as_cdata(content) + end_tag[0], end_tag.end()

    def _reference(self, reference: re.Match[str]) -> str:
        decimal, hexadecimal, name = reference.groups()
        if decimal or hexadecimal:
            if _allowed_in_xml(int(decimal or hexadecimal, 10 if decimal else 16)):
                return reference[0]
            self.fixes[f"removed reference to a forbidden character {reference[0]}"] += 1
            return ""
        if name in XML_PREDEFINED_ENTITIES:
            return reference[0]
        if f"{name};" in html5:
            self.fixes[f"replaced HTML entity &{name};"] += 1
            return "".join(f"&#{ord(character)};" for character in html5[f"{name};"])
        self.fixes[f"escaped unknown entity &{name};" if name else "escaped bare '&'"] += 1
        return "&amp;" + reference[0][1:]


def _holds_raw_html(content: str) -> bool:
    outside_cdata = CDATA_SECTION.sub("", content)
    return any(name.lower() in HTML_TAGS for name in TAG_NAME.findall(outside_cdata))


def _as_cdata(content: str) -> str:
    text = CDATA_SECTION.sub(lambda section: html.escape(section[1], quote=False), content)
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _allowed_in_xml(code_point: int) -> bool:
    if code_point in (0x9, 0xA, 0xD):
        return True
    return 0x20 <= code_point <= 0xD7FF or 0xE000 <= code_point <= 0xFFFD or 0x10000 <= code_point <= 0x10FFFF
