"""The AsyncAPI document of every Kafka topic, merged from the four services' own brokers.

Each service's FastStream broker describes what it really consumes and publishes; this module asks
each for its document and joins them by topic, so a topic two services write appears once with
both operations. `python -m docs` (make docs) writes it to docs/asyncapi.json.
"""

import json
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from faststream.specification import AsyncAPI

from schemas import topics
from services.fetcher import app as fetcher
from services.fetcher import config as fetcher_config
from services.gateway import app as gateway
from services.gateway import config as gateway_config
from services.logger import app as logger
from services.logger import config as logger_config
from services.processor import app as processor
from services.processor import config as processor_config

ROOT = Path(__file__).parent.parent
DOCUMENT = Path(__file__).parent / "asyncapi.json"
SERVER = "local"


def brokers() -> dict[str, Any]:
    # Defaults, not the environment: the document names unprefixed topics and the local Kafka
    # wherever it is generated. Building connects to nothing; only starting the apps would.
    return {
        "fetcher": fetcher.build(fetcher_config.Settings.model_construct()).broker,
        "processor": processor.build(processor_config.Settings.model_construct()).broker,
        "logger": logger.build(logger_config.Settings.model_construct()).broker,
        "gateway": gateway.build(gateway_config.Settings.model_construct()).state.broker,
    }


def document() -> dict[str, Any]:
    merged: dict[str, Any] = {"channels": {}, "operations": {}, "components": {"messages": {}, "schemas": {}}}
    servers: dict[str, Any] = {}
    for service, broker in brokers().items():
        spec = AsyncAPI(broker, title=service).to_specification().to_jsonable()
        _merge(merged, service, spec)
        (server,) = spec["servers"].values()
        _add(servers, SERVER, server)
    for topic in topics.ALL:
        # Created at start-up by every service (infra.kafka.ensure_topics) even where none writes.
        merged["channels"].setdefault(topics.dead_letter(topic), _unused_dead_letters(topic))
    servers[SERVER]["description"] = (
        "Kafka of the local stack (make up); deployments set KAFKA_BOOTSTRAP_SERVERS."
    )
    return {
        "asyncapi": "3.0.0",
        "info": _info(),
        "defaultContentType": "application/json",
        "servers": servers,
    } | merged


def render() -> str:
    return json.dumps(document(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _merge(merged: dict[str, Any], service: str, spec: dict[str, Any]) -> None:
    """Key channels by topic, and name operations and their messages after their service."""
    for key, operation in spec["operations"].items():
        name = key if key.startswith(f"{service}:") else f"{service}:{key}"
        channel = _resolve(spec, operation["channel"]["$ref"])
        (message,) = [_resolve(spec, _resolve(spec, m["$ref"])["$ref"]) for m in operation["messages"]]
        _add(merged["components"]["messages"], name, message)
        target = merged["channels"].setdefault(channel["address"], _channel(channel))
        target["messages"][name] = _ref("components", "messages", name)
        merged["operations"][name] = _operation(operation["action"], channel, name)
    for name, schema in spec["components"].get("schemas", {}).items():
        _add(merged["components"]["schemas"], name, schema)


def _operation(action: str, channel: dict[str, Any], name: str) -> dict[str, Any]:
    # FastStream puts an endpoint's description on its channel; one channel now serves many.
    topic = channel["address"]
    described = {"description": channel["description"]} if "description" in channel else {}
    return {
        "action": action,
        "channel": _ref("channels", topic),
        "messages": [_ref("channels", topic, "messages", name)],
        "title": name,
    } | described


def _channel(channel: dict[str, Any]) -> dict[str, Any]:
    return {"address": channel["address"], "bindings": channel["bindings"]} | _bare(channel["address"])


def _unused_dead_letters(topic: str) -> dict[str, Any]:
    return _bare(topics.dead_letter(topic)) | {
        "description": f"Dead letters of {topic}: created at start-up, no service writes to it yet."
    }


def _bare(address: str) -> dict[str, Any]:
    return {"address": address, "messages": {}, "servers": [_ref("servers", SERVER)]}


def _add(into: dict[str, Any], name: str, value: Any) -> None:
    # Two services describing the same model must describe it alike; anything else is a bug.
    if into.setdefault(name, value) != value:
        raise ValueError(f"{name} is described differently by two services")


def _resolve(spec: dict[str, Any], ref: str) -> Any:
    node: Any = spec
    for part in ref.removeprefix("#/").split("/"):
        node = node[unquote(part).replace("~1", "/").replace("~0", "~")]
    return node


def _ref(*parts: str) -> dict[str, str]:
    return {
        "$ref": "#/" + "/".join(quote(p.replace("~", "~0").replace("/", "~1"), safe="~:._-") for p in parts)
    }


def _info() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {
        "title": "Job Importer events",
        "version": project["version"],
        "description": "Every Kafka topic of the job importer: JSON events (pydantic models in "
        "schemas/events.py), what each service sends and receives, and the dead-letter topics. "
        "Generated from the services' brokers by `make docs`; do not edit by hand.",
    }
