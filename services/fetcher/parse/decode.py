"""Feed bytes → text, chunk by chunk, in one deterministic order of trust.

The encoding comes from the byte order mark, else the HTTP charset, else the XML prolog, else
UTF-8. What the bytes get wrong is undone and counted, never silently replaced: bytes that are
not UTF-8 under a UTF-8 label are read as windows-1252 (the usual truth behind such feeds), and
characters XML forbids are dropped.
"""

import codecs
import re
from collections import Counter

BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE, whose mark is its prefix
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
UNMARKED_UTF16 = ((b"<\x00?\x00", "utf-16-le"), (b"\x00<\x00?", "utf-16-be"))
PROLOG_ENCODING = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']")
# Browsers read these labels as windows-1252, and feeds that declare them routinely carry Windows
# smart quotes in 0x80-0x9F, which Latin-1 would turn into invisible control characters.
WINDOWS_1252_ALIASES = {"iso8859-1", "ascii"}
ESCAPED_BYTES = re.compile("[\udc80-\udcff]+")  # what errors="surrogateescape" leaves
FORBIDDEN_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])  # C0 controls XML forbids
NONCHARACTERS = ("\ufffe".encode(), "\uffff".encode())
LEADING_NOISE = " \t\r\n\ufeff"


def choose_encoding(head: bytes, charset: str | None = None) -> tuple[str, list[str]]:
    """The codec for a body starting with `head`, and a warning per label that had to be ignored."""
    for mark, encoding in BYTE_ORDER_MARKS + UNMARKED_UTF16:
        if head.startswith(mark):
            return encoding, []
    warnings: list[str] = []
    declared = PROLOG_ENCODING.match(head)
    for origin, label in (("HTTP charset", charset), ("XML prolog", declared and declared[1].decode())):
        if label and (codec := _usable_codec(origin, label, warnings)):
            return codec, warnings
    return "utf-8", warnings


def _usable_codec(origin: str, label: str, warnings: list[str]) -> str | None:
    codec = _codec(label)
    if codec is None:
        warnings.append(f"unknown encoding {label!r} in the {origin}: ignored")
    elif not _reads_ascii(codec):
        # The prolog was just read as ASCII, so the body cannot be in a UTF-16/32 encoding.
        warnings.append(f"{origin} says {label!r} but the body is ASCII-compatible: ignored")
        return None
    return codec


def _codec(label: str) -> str | None:
    try:
        name = codecs.lookup(label).name
        "<".encode(name)  # refuses codecs that are not text encodings, such as "base64"
    except LookupError:
        return None
    return "cp1252" if name in WINDOWS_1252_ALIASES else name


def _reads_ascii(encoding: str) -> bool:
    return "<?xml".encode(encoding) == b"<?xml"


class Transcoder:
    """One body's incremental decoder to clean UTF-8; `fixes` counts each kind of damage undone."""

    def __init__(self, encoding: str, fixes: Counter[str]) -> None:
        self.encoding, self.fixes = encoding, fixes
        errors = "surrogateescape" if _reads_ascii(encoding) else "replace"
        self._decoder = codecs.getincrementaldecoder(encoding)(errors)
        self._started = False

    def feed(self, chunk: bytes, final: bool = False) -> bytes:
        text = self._decoder.decode(chunk, final)
        if not self._started:
            text = text.lstrip(LEADING_NOISE)  # whitespace before the prolog is not worth a failure
            self._started = bool(text)
        if "\ufffd" in text and self._decoder.errors == "replace":
            self.fixes[f"replaced bytes invalid in {self.encoding}"] += text.count("\ufffd")
        try:
            utf8 = text.encode()
        except UnicodeEncodeError:  # only escaped invalid bytes fail to encode
            utf8 = ESCAPED_BYTES.sub(self._invalid_bytes, text).encode()
        return self._without_forbidden(utf8)

    def _without_forbidden(self, utf8: bytes) -> bytes:
        # Byte-level checks are many times faster than a regex over the text; UTF-8 never uses
        # these bytes inside a multi-byte character, so removing them cannot split one.
        kept = utf8.translate(None, FORBIDDEN_BYTES)
        removed = len(utf8) - len(kept)
        for noncharacter in NONCHARACTERS:
            if noncharacter in kept:
                removed += kept.count(noncharacter)
                kept = kept.replace(noncharacter, b"")
        if removed:
            self.fixes["removed control characters"] += removed
        return kept

    def _invalid_bytes(self, escaped: re.Match[str]) -> str:
        raw = bytes(ord(character) - 0xDC00 for character in escaped[0])
        if self.encoding.startswith("utf-8"):  # "utf-8-sig" too
            self.fixes["decoded bytes invalid in utf-8 as windows-1252"] += len(raw)
            return raw.decode("cp1252", errors="replace")
        self.fixes[f"replaced bytes invalid in {self.encoding}"] += len(raw)
        return "\ufffd" * len(raw)


def fix_warnings(fixes: Counter[str]) -> list[str]:
    """One warning per kind of fix made, with how many times it was made."""
    return [f"{what} x{count}" for what, count in sorted(fixes.items())]
