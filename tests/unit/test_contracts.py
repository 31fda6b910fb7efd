import json
from pathlib import Path

from schemas.events import JobStatus, Outcome
from schemas.export import export
from schemas.job import Job, content_hash

ROOT = Path(__file__).resolve().parents[2]


def test_the_committed_json_schemas_match_the_models(tmp_path: Path) -> None:
    for path in export(tmp_path):
        committed = ROOT / "schemas" / "json" / path.name
        assert committed.exists(), f"run `make schemas`: {committed.name} is missing"
        assert json.loads(committed.read_text()) == json.loads(path.read_text()), (
            f"run `make schemas`: {path.name}"
        )


def test_events_ignore_unknown_fields_so_producers_can_add_some() -> None:
    status = JobStatus.model_validate(
        {"run_id": "r", "trigger_id": "t", "feed_id": "f", "job_key": "k", "outcome": "new", "added_later": 1}
    )
    assert status.outcome is Outcome.NEW


def test_the_content_hash_ignores_identity_and_follows_business_fields() -> None:
    job = Job(job_key="a.com:1", source="a.com", title="Engineer")
    assert content_hash(job) == content_hash(job.model_copy(update={"job_key": "a.com:2"}))
    assert content_hash(job) != content_hash(job.model_copy(update={"title": "Senior Engineer"}))
