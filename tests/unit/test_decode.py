"""Feed bytes → text: which encoding wins, and what damage is undone on the way, with a warning."""

import pytest

from schemas.events import ParseMode
from services.fetcher.parse import stream as parse
from services.fetcher.parse.stream import parse_feed


def jobs(title: str, prolog: str = "", encoding: str = "utf-8") -> bytes:
    return f"{prolog}<jobs><job><title>{title}</title></job></jobs>".encode(encoding)


def title_of(body: bytes, charset: str | None = None) -> str:
    return str(parse_feed(body, charset).items[0]["title"])


def declaring(encoding: str) -> str:
    return f'<?xml version="1.0" encoding="{encoding}"?>'


class TestWhichEncodingWins:
    def test_a_byte_order_mark_beats_the_http_charset_and_the_prolog(self) -> None:
        body = "\ufeff".encode("utf-16-le") + jobs("Ünïcode", declaring("windows-1252"), "utf-16-le")
        assert title_of(body, charset="iso-8859-1") == "Ünïcode"

    def test_the_http_charset_beats_the_prolog(self) -> None:
        body = jobs("Café", declaring("utf-8"), "cp1252")
        parsed = parse_feed(body, charset="windows-1252")
        assert (parsed.items, parsed.warnings) == ([{"title": "Café"}], [])

    def test_the_prolog_is_used_when_http_says_nothing(self) -> None:
        assert title_of(jobs("Grüße", declaring("iso-8859-15"), "iso-8859-15")) == "Grüße"

    def test_without_any_label_the_body_is_read_as_utf8(self) -> None:
        assert title_of(jobs("Zürich 🧑\u200d💻")) == "Zürich 🧑\u200d💻"

    def test_latin1_labels_are_read_as_windows_1252_as_browsers_do(self) -> None:
        body = jobs("“Chef” \u2013 Café", declaring("ISO-8859-1"), "cp1252")
        assert title_of(body) == "“Chef” \u2013 Café"

    def test_utf16_without_a_byte_order_mark_is_recognised_by_its_first_characters(self) -> None:
        assert title_of(jobs("Ünïcode", declaring("UTF-16"), "utf-16-be")) == "Ünïcode"

    def test_a_utf16_label_on_an_ascii_compatible_body_is_ignored_with_a_warning(self) -> None:
        parsed = parse_feed(jobs("Café", declaring("UTF-16")))
        assert parsed.items == [{"title": "Café"}]
        assert parsed.warnings == ["XML prolog says 'UTF-16' but the body is ASCII-compatible: ignored"]


class TestUnknownLabels:
    def test_an_unknown_http_charset_falls_back_to_the_prolog_with_a_warning(self) -> None:
        parsed = parse_feed(jobs("Café", declaring("windows-1252"), "cp1252"), charset="x-klingon")
        assert parsed.items == [{"title": "Café"}]
        assert parsed.warnings == ["unknown encoding 'x-klingon' in the HTTP charset: ignored"]

    def test_an_unknown_prolog_label_falls_back_to_utf8_then_windows_1252(self) -> None:
        parsed = parse_feed(jobs("Café", declaring("x-klingon"), "cp1252"))
        assert parsed.items == [{"title": "Café"}]
        assert parsed.warnings == [
            "unknown encoding 'x-klingon' in the XML prolog: ignored",
            "decoded bytes invalid in utf-8 as windows-1252 x1",
        ]

    def test_a_codec_that_is_not_a_text_encoding_is_an_unknown_label(self) -> None:
        parsed = parse_feed(jobs("Café"), charset="base64")
        assert (parsed.items, parsed.warnings) == (
            [{"title": "Café"}],
            ["unknown encoding 'base64' in the HTTP charset: ignored"],
        )


class TestMisdeclaredBytes:
    def test_windows_1252_bytes_under_a_utf8_label_are_read_as_windows_1252(self) -> None:
        parsed = parse_feed(jobs("Café “Chef”", declaring("UTF-8"), "cp1252"))
        assert parsed.items == [{"title": "Café “Chef”"}]
        assert (parsed.parse_mode, parsed.warnings) == (
            ParseMode.RECOVERED,
            ["decoded bytes invalid in utf-8 as windows-1252 x3"],
        )

    def test_valid_utf8_next_to_stray_windows_1252_bytes_keeps_both(self) -> None:
        body = "<jobs><job><title>Zürich ".encode() + b"caf\xe9</title></job></jobs>"
        assert title_of(body) == "Zürich café"

    def test_a_character_split_across_read_chunks_survives(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(parse, "CHUNK_BYTES", 3)
        assert title_of(jobs("ééé €€ 🧑\u200d💻", declaring("utf-8"))) == "ééé €€ 🧑\u200d💻"
        assert title_of(jobs("Café “Chef”", declaring("windows-1252"), "cp1252")) == "Café “Chef”"


class TestDoubleEncodedUtf8:
    @pytest.mark.parametrize(
        ("damaged", "meant"),
        [
            ("CafÃ©", "Café"),
            ("Itâ€™s â€œfineâ€\x9d", "It\u2019s “fine”"),
            ("Â£50k", "£50k"),
            ("ðŸš€ Launch", "🚀 Launch"),
        ],
    )
    def test_is_repaired_with_a_warning(self, damaged: str, meant: str) -> None:
        parsed = parse_feed(jobs(damaged))
        assert (parsed.items[0]["title"], parsed.warnings) == (meant, ["repaired double-encoded UTF-8 x1"])

    @pytest.mark.parametrize("text", ["Straße", "naïve pâte", "ÉTÉ…", "Ã alone", "Ä” quoted"])
    def test_text_that_only_looks_damaged_is_left_as_written(self, text: str) -> None:
        parsed = parse_feed(jobs(text))
        assert (parsed.items[0]["title"], parsed.warnings) == (text, [])


class TestInvisibleAndControlCharacters:
    def test_zero_width_characters_are_stripped_silently(self) -> None:
        parsed = parse_feed(jobs("\u200bSenior\u200c Dev\u2060eloper\ufeff\u200d"))
        assert (parsed.items, parsed.warnings, parsed.parse_mode) == (
            [{"title": "Senior Developer"}],
            [],
            ParseMode.STRICT,
        )

    def test_control_characters_xml_forbids_are_removed_with_a_warning(self) -> None:
        parsed = parse_feed(jobs("Bad\x0bByte\x00s"))
        assert (parsed.items, parsed.parse_mode) == ([{"title": "BadBytes"}], ParseMode.RECOVERED)
        assert parsed.warnings == ["removed control characters x2"]

    def test_c1_controls_allowed_by_xml_are_still_dropped_from_values(self) -> None:
        assert title_of(jobs("Line\u0085end\u009f")) == "Lineend"
