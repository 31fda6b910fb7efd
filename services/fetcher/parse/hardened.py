"""Expat parsers that refuse what no feed needs: entity declarations and local external DTDs.

Refusing the declaration itself is what stops entity expansion (billion laughs) and external
entities (XXE): nothing is ever expanded or fetched, because parsing stops before any reference.
An http(s) DTD reference (RSS 0.91 feeds name Netscape's) is allowed and never loaded.
"""

from xml.parsers import expat

MAX_DEPTH = 100  # real feeds nest under 20 deep, HTML descriptions included


class FeedParseError(Exception):
    """The body is not a feed we can read: the run fails with this message."""


class NeedsRepair(Exception):
    """Well-formed, yet not readable as written: the recovering parse must run."""


def hardened_parser() -> expat.XMLParserType:
    # The text handed to these parsers is always UTF-8, whatever the prolog declares.
    parser = expat.ParserCreate("utf-8")
    parser.buffer_text = True
    parser.ordered_attributes = True
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse_local_dtd
    parser.EntityDeclHandler = _refuse_entity
    parser.SkippedEntityHandler = _undeclared_entity
    return parser


def _refuse_local_dtd(name: str, system_id: str | None, public_id: str | None, internal: bool) -> None:
    if system_id and not system_id.lower().startswith(("http://", "https://")):
        raise FeedParseError(f"refused a DOCTYPE that points at {system_id!r}: external DTDs are never read")


def _refuse_entity(name: str, parameter: bool, value: str | None, *declaration: str | None) -> None:
    system_id = declaration[1]
    what = f"external, {system_id!r}, never fetched" if system_id else "never expanded"
    raise FeedParseError(f"refused XML that declares entities: <!ENTITY {name}> ({what})")


def _undeclared_entity(name: str, parameter: bool) -> None:
    # Expat skips `&eacute;` when a DTD it did not read might declare it: the text would lose it.
    raise NeedsRepair(f"undeclared entity &{name};")
