"""Character-level cleanup of one text value: double-encoded UTF-8 undone, invisible characters
dropped.

Double encoding ("Ã©" for "é", "â€™" for a right single quote) happens when UTF-8 bytes were once read as
windows-1252 or Latin-1 and written out again as UTF-8. Only the signatures that real text
practically never contains are undone — "Â" or "Ã" plus one continuation, "â" or "ï" plus two,
"ð" plus three — and only when the bytes they stand for are valid UTF-8. ("Ä”" may be German.)
"""

import re
from collections import Counter

CONTINUATION_BYTES = range(0x80, 0xC0)
# Each continuation byte as Latin-1 and as windows-1252 would show it; either may have produced
# the damage, and both map back to the same byte.
BYTE_OF = {chr(byte): byte for byte in range(0x80, 0x100)} | {
    bytes([byte]).decode("cp1252"): byte for byte in CONTINUATION_BYTES if byte not in b"\x81\x8d\x8f\x90\x9d"
}
CONTINUATION = "".join(re.escape(c) for c, byte in BYTE_OF.items() if byte in CONTINUATION_BYTES)
DOUBLE_ENCODED = re.compile(
    f"[\xc2\xc3][{CONTINUATION}]|[\xe2\xef][{CONTINUATION}]{{2}}|\xf0[{CONTINUATION}]{{3}}"
)
# Zero-width and control characters are invisible noise in titles, ids and descriptions; a
# zero-width joiner between two emoji is kept, since it is part of the emoji (🧑‍💻).
EMOJI = r"\U0001F000-\U0001FAFF\u2600-\u27BF"
INVISIBLE = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b\u200c\u2060\ufeff]"
    rf"|(?<![{EMOJI}\ufe0f])\u200d|\u200d(?![{EMOJI}])"
)
# One cheap search decides whether a value needs either of the slower passes above.
SUSPECT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\xc2\xc3\xe2\xef\xf0\u200b-\u200d\u2060\ufeff]")
MOJIBAKE_FIX = "repaired double-encoded UTF-8"


def clean_text(text: str, fixes: Counter[str]) -> str:
    if not SUSPECT.search(text):
        return text
    repaired = DOUBLE_ENCODED.sub(_utf8_of, text)
    if repaired != text:
        fixes[MOJIBAKE_FIX] += 1
    return INVISIBLE.sub("", repaired)


def _utf8_of(suspect: re.Match[str]) -> str:
    try:
        return bytes(BYTE_OF[character] for character in suspect[0]).decode("utf-8")
    except UnicodeDecodeError:  # not double-encoded after all: leave the text as written
        return suspect[0]
