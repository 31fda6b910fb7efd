"""The AsyncAPI document: committed up to date, every topic described with the events it carries."""

from typing import Any
from urllib.parse import unquote

import pytest

import docs
from schemas import topics


@pytest.fixture(scope="module")
def rendered() -> str:
    return docs.render()


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return docs.document()


def test_the_committed_document_is_the_one_the_code_generates(rendered: str) -> None:
    assert docs.DOCUMENT.read_text() == rendered, "docs/asyncapi.json is out of date: run `make docs`"


def test_every_topic_and_its_dead_letters_is_a_channel(document: dict[str, Any]) -> None:
    wanted = {name for topic in topics.ALL for name in (topic, topics.dead_letter(topic))}
    assert wanted <= set(document["channels"])


@pytest.mark.parametrize("topic", topics.ALL)
def test_every_topic_has_a_sender_and_a_receiver(document: dict[str, Any], topic: str) -> None:
    actions = {
        op["action"] for op in document["operations"].values() if op["channel"]["$ref"].endswith(topic)
    }
    assert actions == {"send", "receive"}


@pytest.mark.parametrize("topic", topics.ALL)
def test_every_message_of_a_topic_has_a_payload_with_properties(document: dict[str, Any], topic: str) -> None:
    for name, message in _messages(document, topic).items():
        shapes = _shapes(document, message["payload"])
        assert shapes, f"{name} has no payload schema"
        assert all(shape.get("properties") for shape in shapes), f"{name}'s payload has no properties"


def test_fetched_jobs_carry_the_job_and_its_run(document: dict[str, Any]) -> None:
    for message in _messages(document, topics.JOBS_FETCHED).values():
        (shape,) = _shapes(document, message["payload"])
        assert {"job", "run_id", "trigger_id", "feed_id"} <= set(shape["properties"])


def test_run_events_are_the_three_told_apart_by_event(document: dict[str, Any]) -> None:
    for message in _messages(document, topics.IMPORTS_RUNS).values():
        shapes = _shapes(document, message["payload"])
        events = {shape["properties"]["event"]["const"] for shape in shapes if "event" in shape["properties"]}
        assert events == {"run_started", "run_fetched", "run_failed"}


def test_poison_messages_are_dead_lettered_by_the_consumer_that_split_them_out(
    document: dict[str, Any],
) -> None:
    senders = {
        (name.split(":")[0], op["channel"]["$ref"].rsplit("/", 1)[1])
        for name, op in document["operations"].items()
        if op["action"] == "send" and op["channel"]["$ref"].endswith(".dlq")
    }
    assert senders == {
        ("processor", "jobs.fetched.dlq"),
        ("logger", "imports.runs.dlq"),
        ("logger", "jobs.status.dlq"),
    }


def _messages(document: dict[str, Any], topic: str) -> dict[str, Any]:
    refs = document["channels"][topic]["messages"]
    assert refs, f"{topic} has no messages"
    return {name: _resolve(document, ref["$ref"]) for name, ref in refs.items()}


def _shapes(document: dict[str, Any], schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The object schemas a payload may be, through references and oneOf/anyOf/allOf."""
    if "$ref" in schema:
        return _shapes(document, _resolve(document, schema["$ref"]))
    variants = [v for key in ("oneOf", "anyOf", "allOf") for v in schema.get(key, [])]
    if variants:
        return [shape for variant in variants for shape in _shapes(document, variant)]
    return [schema] if schema.get("type") == "object" else []


def _resolve(document: dict[str, Any], ref: str) -> Any:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[unquote(part).replace("~1", "/").replace("~0", "~")]
    return node
