"""Write the JSON Schema of every contract: `python -m schemas.export DIRECTORY`."""

import json
import sys
from pathlib import Path

from pydantic import BaseModel, TypeAdapter

from schemas.events import (
    ImportLog,
    ImportRequested,
    JobFetched,
    JobStatus,
    RunLifecycleEvent,
)
from schemas.feeds import FeedsFile
from schemas.job import Job

MODELS: dict[str, type[BaseModel]] = {
    "Job": Job,
    "ImportRequested": ImportRequested,
    "JobFetched": JobFetched,
    "JobStatus": JobStatus,
    "ImportLog": ImportLog,
    "FeedsFile": FeedsFile,
}


def export(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    schemas = {name: model.model_json_schema() for name, model in MODELS.items()}
    schemas["RunEvent"] = TypeAdapter(RunLifecycleEvent).json_schema()
    written = []
    for name, schema in schemas.items():
        path = directory / f"{name}.json"
        path.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in export(Path(sys.argv[1] if len(sys.argv) > 1 else "schemas/json")):
        sys.stdout.write(f"{path}\n")
