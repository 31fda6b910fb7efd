"""Hostile bodies: refused with a clear error, or capped with a warning; never expanded or fetched."""

import pytest

from services.fetcher.parse.hardened import MAX_DEPTH
from services.fetcher.parse.items import MAX_ELEMENTS_PER_ITEM, MAX_FIELD_CHARACTERS
from services.fetcher.parse.stream import FeedParseError, parse_feed

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
]>
<rss><channel><item><title>&lol2;</title></item></channel></rss>"""


def doctype(
    declarations: str, root: str = "<rss><channel><item><title>&xxe;</title></item></channel></rss>"
) -> bytes:
    return f'<?xml version="1.0"?><!DOCTYPE rss [{declarations}]>{root}'.encode()


class TestEntities:
    def test_entity_expansion_is_refused_before_anything_is_expanded(self) -> None:
        with pytest.raises(FeedParseError, match=r"declares entities: <!ENTITY lol> \(never expanded\)"):
            parse_feed(BILLION_LAUGHS)

    @pytest.mark.parametrize(
        "declaration",
        ['<!ENTITY xxe SYSTEM "file:///etc/passwd">', '<!ENTITY xxe PUBLIC "-//x//EN" "file:///etc/passwd">'],
    )
    def test_external_entities_are_refused_naming_what_they_point_at(self, declaration: str) -> None:
        with pytest.raises(FeedParseError, match=r"<!ENTITY xxe> \(external, 'file:///etc/passwd', never"):
            parse_feed(doctype(declaration))

    def test_external_parameter_entities_are_refused(self) -> None:
        body = doctype('<!ENTITY % remote SYSTEM "http://169.254.169.254/x.dtd"> %remote;', "<rss/>")
        with pytest.raises(FeedParseError, match=r"http://169\.254\.169\.254/x\.dtd"):
            parse_feed(body)

    def test_a_doctype_pointing_at_a_local_file_is_refused(self) -> None:
        body = b'<!DOCTYPE rss SYSTEM "file:///etc/passwd"><rss><channel></channel></rss>'
        with pytest.raises(FeedParseError, match="DOCTYPE that points at 'file:///etc/passwd'"):
            parse_feed(body)

    def test_a_netscape_rss_091_doctype_is_read_but_never_loaded(self) -> None:
        body = (
            b'<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"'
            b' "http://my.netscape.com/publish/formats/rss-0.91.dtd">'
            b"<rss version='0.91'><channel><item><title>Caf&eacute;</title></item></channel></rss>"
        )
        # Expat would skip `&eacute;` for the unread DTD to declare: repair keeps the character.
        parsed = parse_feed(body)
        assert parsed.items == [{"title": "Café"}]
        assert parsed.warnings == ["recovered malformed XML: replaced HTML entity &eacute; x1"]


class TestFloodsAndSizes:
    def test_items_past_max_items_are_dropped_with_a_warning(self) -> None:
        body = b"<jobs>" + b"".join(b"<job><id>%d</id></job>" % n for n in range(12)) + b"</jobs>"
        parsed = parse_feed(body, max_items=10)
        assert [item["id"] for item in parsed.items] == [str(n) for n in range(10)]
        assert parsed.warnings == ["feed has more than 10 items: kept the first 10"]

    def test_exactly_max_items_is_not_a_flood(self) -> None:
        body = b"<jobs>" + b"<job><id>1</id></job>" * 10 + b"</jobs>"
        assert parse_feed(body, max_items=10).warnings == []

    def test_an_oversized_field_is_cut_at_1_mib_with_a_warning_naming_it(self) -> None:
        huge = "x" * (MAX_FIELD_CHARACTERS + 10)
        body = f"<jobs><job><title>T</title><description>{huge}</description></job></jobs>".encode()
        parsed = parse_feed(body)
        assert len(parsed.items[0]["description"]) == MAX_FIELD_CHARACTERS
        assert parsed.items[0]["title"] == "T"
        assert parsed.warnings == ["truncated field 'description' to 1 MiB x1"]

    def test_an_oversized_attribute_value_is_cut_too(self) -> None:
        body = f'<jobs><job><link href="{"y" * (MAX_FIELD_CHARACTERS + 1)}"/></job></jobs>'.encode()
        assert len(parse_feed(body).items[0]["link"]["@href"]) == MAX_FIELD_CHARACTERS

    def test_elements_past_the_per_item_cap_are_dropped_with_a_warning(self) -> None:
        tags = b"<tag>t</tag>" * (MAX_ELEMENTS_PER_ITEM + 5)
        parsed = parse_feed(b"<jobs><job>" + tags + b"</job><job><tag>next</tag></job></jobs>")
        assert len(parsed.items[0]["tag"]) == MAX_ELEMENTS_PER_ITEM
        assert parsed.items[1] == {"tag": "next"}
        assert parsed.warnings == [f"dropped elements past {MAX_ELEMENTS_PER_ITEM} in one item x1"]

    def test_nesting_deeper_than_the_bound_is_refused(self) -> None:
        depth = MAX_DEPTH + 1
        body = b"<jobs><job>" + b"<a>" * depth + b"</a>" * depth + b"</job></jobs>"
        with pytest.raises(FeedParseError, match=f"nested deeper than {MAX_DEPTH}"):
            parse_feed(body)

    def test_nesting_within_the_bound_is_read(self) -> None:
        depth = MAX_DEPTH - 2  # <jobs><job> take two levels
        body = b"<jobs><job>" + b"<a>" * depth + b"x" + b"</a>" * depth + b"</job></jobs>"
        value = parse_feed(body).items[0]
        for _ in range(depth):
            value = value["a"]
        assert value == "x"
