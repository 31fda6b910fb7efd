"""schemathesis runs the gateway's OpenAPI document against the live gateway: every operation, with
generated valid and invalid input, must answer without a 500 and as its document says.
"""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from launcher.processes import Services, free_port
from services.gateway.app import build
from services.gateway.config import Settings


@pytest.fixture
def gateway(namespace: dict[str, str], tmp_path: Path) -> Iterator[Services]:
    # Generated requests come fast and from one client: no rate limit here (it has its own test).
    limits = {"GATEWAY_IMPORT_BURST": "100000"}
    with Services(namespace | limits, tmp_path / "logs", free_port()).running(("gateway",)) as running:
        yield running


# The document the gateway serves, built here so that the cases exist before the gateway runs;
# a test below checks the gateway serves this very document.
DOCUMENT = build(Settings()).openapi()
schema = schemathesis.openapi.from_dict(DOCUMENT)


def test_the_gateway_serves_the_document_the_cases_come_from(gateway: Services) -> None:
    assert httpx.get(f"{gateway.gateway_url}/api/openapi.json").json() == DOCUMENT


@schema.parametrize()
# The same examples on every run, so that a failure in CI is one a developer can replay.
@settings(
    max_examples=25, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)
def test_every_operation_answers_as_documented(case: schemathesis.Case, gateway: Services) -> None:
    response = case.call(base_url=gateway.gateway_url, headers=gateway.headers)
    # A cursor is opaque: a string the document allows may still be none this API gave (400).
    excluded = [positive_data_acceptance] if "cursor" in (case.query or {}) else []
    # A body over the limit is refused (413, documented) before anyone reads whether it is valid.
    excluded += [negative_data_rejection] if response.status_code == 413 else []
    case.validate_response(response, excluded_checks=excluded, headers=gateway.headers)
