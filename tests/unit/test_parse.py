"""Feed bytes → raw items: shapes, local names, recovery from damage, and streaming in batches."""

import io

import pytest

from schemas.events import ParseMode
from services.fetcher.parse import stream as parse
from services.fetcher.parse.stream import FeedParseError, parse_feed, stream_feed


def rss(items: str, channel_extra: str = "", namespaces: str = "") -> bytes:
    channel = f"<channel><title>t</title>{channel_extra}{items}</channel>"
    return f'<rss version="2.0"{namespaces}>{channel}</rss>'.encode()


class TestFormatDetection:
    def test_rss_items_come_from_the_channel(self) -> None:
        parsed = parse_feed(
            rss("<item><title>A</title></item><item><title>B</title></item>", "<ttl>60</ttl>")
        )
        assert (parsed.format, [item["title"] for item in parsed.items]) == ("rss", ["A", "B"])
        assert (parsed.parse_mode, parsed.warnings, parsed.ttl_minutes) == (ParseMode.STRICT, [], 60)

    def test_a_single_item_is_still_a_list_of_one(self) -> None:
        assert parse_feed(rss("<item><title>Only</title></item>")).items == [{"title": "Only"}]

    def test_rss_1_0_rdf_items_are_siblings_of_the_channel(self) -> None:
        body = b"""<?xml version="1.0"?>
        <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
                 xmlns:dc="http://purl.org/dc/elements/1.1/">
          <channel rdf:about="https://example.org/"><title>Jobs</title></channel>
          <item rdf:about="https://example.org/jobs/1"><title>Welder</title>
            <link>https://example.org/jobs/1</link><dc:date>2024-01-02T03:04:05Z</dc:date></item>
        </rdf:RDF>"""
        parsed = parse_feed(body)
        assert parsed.format == "rdf"
        assert parsed.items == [
            {
                "@about": "https://example.org/jobs/1",
                "title": "Welder",
                "link": "https://example.org/jobs/1",
                "date": "2024-01-02T03:04:05Z",
            }
        ]

    def test_atom_entries_with_a_default_namespace(self) -> None:
        body = b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>1</id><title>T</title></entry></feed>'
        assert parse_feed(body).format == "atom"

    def test_indeed_jobs_sit_directly_under_source(self) -> None:
        parsed = parse_feed(b"<source><publisher>P</publisher><job><title>T</title></job></source>")
        assert (parsed.format, parsed.items) == ("indeed", [{"title": "T"}])

    def test_custom_exports_nested_or_not(self) -> None:
        nested = parse_feed(b"<source><jobs><job><title>T</title></job></jobs></source>")
        flat = parse_feed(b"<jobs><job><title>T</title></job></jobs>")
        assert (nested.format, flat.format) == ("jobs", "jobs")
        assert nested.items == flat.items == [{"title": "T"}]

    def test_an_empty_channel_is_an_empty_feed_not_an_error(self) -> None:
        parsed = parse_feed(rss(""))
        assert (parsed.format, parsed.items, parsed.parse_mode) == ("rss", [], ParseMode.STRICT)

    def test_xml_that_is_not_a_job_feed_is_refused_naming_its_root(self) -> None:
        with pytest.raises(FeedParseError, match=r"not a job feed: root <html>"):
            parse_feed(b"<html><body><p>Login</p></body></html>")

    @pytest.mark.parametrize("body", [b"", b"   \n", b'{"jobs": []}', b"<rss><channel>"])
    def test_bodies_that_are_not_xml_are_refused(self, body: bytes) -> None:
        with pytest.raises(FeedParseError):
            parse_feed(body)


class TestLocalNames:
    def test_prefixes_are_dropped_whatever_namespace_uri_the_site_chose(self) -> None:
        body = rss(
            "<item><title>T</title><job_listing:company>Acme</job_listing:company>"
            "<job_listing:location>Oslo</job_listing:location></item>",
            namespaces=' xmlns:job_listing="https://board.example.net"',
        )
        assert parse_feed(body).items == [{"title": "T", "company": "Acme", "location": "Oslo"}]

    def test_unprefixed_value_comes_first_when_two_names_collide(self) -> None:
        body = rss(
            "<item><dc:title>From DC</dc:title><title>Plain</title></item>",
            namespaces=' xmlns:dc="http://purl.org/dc/elements/1.1/"',
        )
        assert parse_feed(body).items[0]["title"] == ["Plain", "From DC"]

    def test_repeated_elements_become_lists(self) -> None:
        item = parse_feed(rss("<item><category>A</category><category>B</category></item>")).items[0]
        assert item["category"] == ["A", "B"]


class TestEncodings:
    def test_a_utf8_byte_order_mark_is_ignored(self) -> None:
        body = (
            b"\xef\xbb\xbf"
            + '<?xml version="1.0" encoding="UTF-8"?><jobs><job><title>Café</title></job></jobs>'.encode()
        )
        assert parse_feed(body).items == [{"title": "Café"}]

    def test_whitespace_before_the_xml_declaration_is_ignored(self) -> None:
        parsed = parse_feed(b'\n  <?xml version="1.0"?><jobs><job><title>T</title></job></jobs>')
        assert (parsed.items, parsed.parse_mode) == ([{"title": "T"}], ParseMode.STRICT)

    def test_the_prolog_encoding_is_respected(self) -> None:
        body = (
            '<?xml version="1.0" encoding="windows-1252"?><jobs><job><title>Café “Chef”</title></job></jobs>'
        )
        assert parse_feed(body.encode("cp1252")).items == [{"title": "Café “Chef”"}]

    def test_utf16_with_a_byte_order_mark(self) -> None:
        body = '<?xml version="1.0" encoding="UTF-16"?><jobs><job><title>Ünïcode</title></job></jobs>'
        assert parse_feed(body.encode("utf-16")).items == [{"title": "Ünïcode"}]


class TestInvisibleCharacters:
    def test_zero_width_and_control_characters_are_stripped_from_text(self) -> None:
        body = rss(
            "<item><title>\u200bSenior\u200c Dev\u2060eloper\ufeff\u0085</title>"
            "<guid>id\u200d-1</guid></item>"
        )
        assert parse_feed(body).items == [{"title": "Senior Developer", "guid": "id-1"}]

    def test_a_zero_width_joiner_inside_an_emoji_is_kept(self) -> None:
        body = rss("<item><title>Dev 🧑\u200d💻 role</title></item>")
        assert parse_feed(body).items[0]["title"] == "Dev 🧑\u200d💻 role"


class TestRecovery:
    def test_bare_ampersands_are_escaped_and_reported(self) -> None:
        parsed = parse_feed(
            rss("<item><title>R&D Engineer</title><link>https://e.com/j?a=1&b=2</link></item>")
        )
        assert parsed.items == [{"title": "R&D Engineer", "link": "https://e.com/j?a=1&b=2"}]
        assert parsed.parse_mode == ParseMode.RECOVERED
        assert parsed.warnings == ["recovered malformed XML: escaped bare '&' x2"]

    def test_html_named_entities_become_their_characters(self) -> None:
        parsed = parse_feed(
            rss("<item><title>Caf&eacute;&nbsp;Chef &amp; Co &#8211; &lt;b&gt;</title></item>")
        )
        assert parsed.items[0]["title"] == "Café\xa0Chef & Co \u2013 <b>"
        assert parsed.warnings == [
            "recovered malformed XML: replaced HTML entity &eacute; x1; replaced HTML entity &nbsp; x1"
        ]

    def test_attribute_values_keep_their_meaning(self) -> None:
        parsed = parse_feed(
            rss('<item><enclosure url="https://e.com/a.png?w=50&h=50" /><title>T</title></item>')
        )
        assert parsed.items[0]["enclosure"] == {"@url": "https://e.com/a.png?w=50&h=50"}

    def test_cdata_sections_are_left_exactly_as_written(self) -> None:
        body = rss(
            "<item><title>A & B</title>"
            "<description><![CDATA[<p>Tom &amp; Jerry & co&nbsp;</p>]]></description></item>"
        )
        assert parse_feed(body).items[0]["description"] == "<p>Tom &amp; Jerry & co&nbsp;</p>"

    def test_unknown_entities_are_kept_as_text(self) -> None:
        parsed = parse_feed(rss("<item><title>Use &madeup; here</title></item>"))
        assert parsed.items[0]["title"] == "Use &madeup; here"
        assert parsed.warnings == ["recovered malformed XML: escaped unknown entity &madeup; x1"]

    def test_raw_control_characters_are_removed(self) -> None:
        parsed = parse_feed(rss("<item><title>Bad\x0bByte</title></item>"))
        assert (parsed.items[0]["title"], parsed.parse_mode) == ("BadByte", ParseMode.RECOVERED)

    def test_references_to_characters_xml_forbids_are_dropped(self) -> None:
        parsed = parse_feed(rss("<item><title>A&#1;B&#x1F;C</title></item>"))
        assert parsed.items[0]["title"] == "ABC"
        assert parsed.warnings == [
            "recovered malformed XML: removed reference to a forbidden character &#1; x1;"
            " removed reference to a forbidden character &#x1F; x1"
        ]

    def test_a_stray_less_than_sign_is_kept_as_text(self) -> None:
        parsed = parse_feed(rss("<item><title>Pay &lt; 60k, bonus < 5k</title></item>"))
        assert parsed.items[0]["title"] == "Pay < 60k, bonus < 5k"
        assert parsed.warnings == ["recovered malformed XML: escaped stray '<' x1"]

    def test_damage_recovery_cannot_fix_is_still_an_error(self) -> None:
        with pytest.raises(FeedParseError, match="even after repair"):
            parse_feed(rss("<item><title>R&D</item>"))

    def test_damage_inside_an_item_loses_that_item_alone_with_a_warning(self) -> None:
        parsed = parse_feed(
            rss("<item><title>A</title></item><item><title>B</item><item><title>C</title></item>")
        )
        assert (parsed.items, parsed.parse_mode) == ([{"title": "A"}, {"title": "C"}], ParseMode.RECOVERED)
        assert parsed.warnings == ["dropped the broken item at line 1: mismatched tag at line 1"]

    def test_repair_gives_the_same_items_whatever_the_read_chunk_size(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        body = rss(
            "<item><title>R&D &eacute;quipe &amp; Co</title><link>https://e.com/?a=1&b=2</link>"
            "<description><![CDATA[<p>a & b]]></description></item>"
            "<item><title>Two</title><description><p>Hi<br>there</p></description></item>"
        )
        whole = parse_feed(body)
        monkeypatch.setattr(parse, "CHUNK_BYTES", 1)
        assert parse_feed(body) == whole
        assert whole.items[0]["title"] == "R&D équipe & Co"
        assert whole.items[1]["description"] == "<p>Hi<br>there</p>"

    def test_entity_declarations_are_refused_not_expanded(self) -> None:
        doctype = b'<!DOCTYPE jobs [<!ENTITY lol "lol">]>'
        body = b'<?xml version="1.0"?>' + doctype + b"<jobs><job><title>&lol;</title></job></jobs>"
        with pytest.raises(FeedParseError, match="declares entities"):
            parse_feed(body)


class TestRawHtmlInDescriptions:
    def test_unescaped_html_survives_as_text(self) -> None:
        parsed = parse_feed(
            rss("<item><title>T</title><description><p>Hi <br> there</p></description></item>")
        )
        assert parsed.items == [{"title": "T", "description": "<p>Hi <br> there</p>"}]
        assert parsed.parse_mode == ParseMode.RECOVERED
        assert parsed.warnings == ["recovered malformed XML: kept raw HTML inside <description> as text x1"]

    def test_well_formed_raw_html_is_text_too_not_a_tree(self) -> None:
        parsed = parse_feed(rss("<item><description><ul><li>Go</li></ul></description></item>"))
        assert parsed.items == [{"description": "<ul><li>Go</li></ul>"}]

    def test_its_links_entities_and_cdata_are_kept_as_html(self) -> None:
        html = '<p><a href="https://e.com/?a=1&b=2">Apply</a>&nbsp;<![CDATA[1 < 2]]> ]]></p>'
        parsed = parse_feed(rss(f"<item><content:encoded>{html}</content:encoded></item>"))
        assert (
            parsed.items[0]["encoded"]
            == '<p><a href="https://e.com/?a=1&b=2">Apply</a>&nbsp;1 &lt; 2 ]]></p>'
        )

    def test_atom_xhtml_content_becomes_its_markup(self) -> None:
        body = (
            b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>1</id>'
            b'<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Hi</p></div></content></entry></feed>'
        )
        content = parse_feed(body).items[0]["content"]
        assert content == {
            "@type": "xhtml",
            "#text": '<div xmlns="http://www.w3.org/1999/xhtml"><p>Hi</p></div>',
        }

    def test_structured_children_that_are_not_html_stay_a_tree(self) -> None:
        parsed = parse_feed(b"<jobs><job><content><salary>5</salary></content></job></jobs>")
        assert (parsed.items, parsed.parse_mode) == ([{"content": {"salary": "5"}}], ParseMode.STRICT)


class TestTruncatedBodies:
    def test_complete_items_before_the_cut_are_kept_with_a_warning(self) -> None:
        body = rss("<item><title>A</title></item><item><title>B</title></item><item><title>C</title>")
        parsed = parse_feed(body[: body.index(b"<item><title>C")] + b"<item><title>C</ti")
        assert (parsed.items, parsed.parse_mode) == ([{"title": "A"}, {"title": "B"}], ParseMode.RECOVERED)
        assert parsed.warnings == ["feed truncated after 2 items"]

    def test_a_cut_inside_a_cdata_description_keeps_the_items_before(self) -> None:
        parsed = parse_feed(rss("<item><title>A</title></item><item><description><![CDATA[<p>Hel")[:-20])
        assert (parsed.items, parsed.warnings) == ([{"title": "A"}], ["feed truncated after 1 items"])

    def test_a_body_cut_before_its_first_item_is_an_error(self) -> None:
        with pytest.raises(FeedParseError, match="feed truncated before its first item"):
            parse_feed(b"<rss><channel><title>Jobs</title><item><title>A")


class TestStreaming:
    def big_feed(self, count: int) -> io.BytesIO:
        items = "".join(f"<item><guid>{n}</guid><title>Job {n}</title></item>" for n in range(count))
        return io.BytesIO(rss(items, "<ttl>30</ttl>"))

    def test_items_arrive_in_batches_of_the_requested_size(self) -> None:
        batches = list(stream_feed(self.big_feed(1203)).batches(size=500))
        assert [len(batch) for batch in batches] == [500, 500, 203]
        assert batches[2][-1] == {"guid": "1202", "title": "Job 1202"}

    def test_format_mode_and_ttl_are_known_before_the_first_batch(self) -> None:
        stream = stream_feed(self.big_feed(3))
        assert (stream.format, stream.parse_mode, stream.ttl_minutes) == ("rss", ParseMode.STRICT, 30)

    def test_a_ttl_after_the_items_is_known_before_the_first_batch_too(self) -> None:
        stream = stream_feed(io.BytesIO(rss("<item><title>A</title></item><ttl>45</ttl>")))
        assert stream.ttl_minutes == 45

    def test_item_pass_warnings_are_complete_once_the_batches_are_exhausted(self) -> None:
        stream = stream_feed(self.big_feed(12), max_items=10)
        assert stream.warnings == []
        assert sum(len(batch) for batch in stream.batches(size=4)) == 10
        assert stream.warnings == ["feed has more than 10 items: kept the first 10"]

    def test_the_source_is_read_in_chunks_not_all_at_once(self, monkeypatch: pytest.MonkeyPatch) -> None:
        source, reads = self.big_feed(2000), []
        read = source.read
        monkeypatch.setattr(source, "read", lambda size=-1: reads.append(size) or read(size))
        next(stream_feed(source).batches(size=10))
        assert -1 not in reads and max(reads) == parse.CHUNK_BYTES

    def test_parse_feed_is_the_stream_collected(self) -> None:
        body = self.big_feed(700).getvalue()
        stream = stream_feed(io.BytesIO(body))
        streamed = [item for batch in stream.batches(size=500) for item in batch]
        assert parse_feed(body).items == streamed
