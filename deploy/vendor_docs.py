"""Vendor Swagger UI from its npm package at build time: the API docs page loads nothing from a CDN.

`python deploy/vendor_docs.py` puts the files the docs page needs under the gateway's static
directory (not committed), checked against npm's integrity hash; the tarball is cached.
"""

import base64
import hashlib
import io
import os
import sys
import tarfile
import urllib.request
from pathlib import Path

VERSION = "5.35.0"
INTEGRITY = "sha512-U06rpMtW9V3XPGOBeamTUSr0Z09jMX4IJuANpE/EZbAhw0G8CgwrzU4YmXkn/h0wCDNsXdGarTNNHC3sU8yVUQ=="
URL = f"https://registry.npmjs.org/swagger-ui-dist/-/swagger-ui-dist-{VERSION}.tgz"
FILES = ("swagger-ui-bundle.js", "swagger-ui.css", "LICENSE")
TARGET = Path(__file__).resolve().parent.parent / "services/gateway/static/vendor/swagger-ui"
CACHE = Path(os.environ.get("JOB_IMPORTER_CACHE", Path.home() / ".cache/job-importer"))


def tarball() -> bytes:
    cached = CACHE / f"swagger-ui-dist-{VERSION}.tgz"
    if not cached.exists():
        with urllib.request.urlopen(URL, timeout=60) as response:
            body = response.read()
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_bytes(body)
    body = cached.read_bytes()
    digest = "sha512-" + base64.b64encode(hashlib.sha512(body).digest()).decode()
    if digest != INTEGRITY:
        cached.unlink()
        sys.exit(f"swagger-ui-dist {VERSION}: integrity mismatch, download removed; run again")
    return body


def main() -> None:
    if all((TARGET / name).exists() for name in FILES) and (TARGET / VERSION).exists():
        return
    TARGET.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(tarball())) as archive:
        for name in FILES:
            member = archive.extractfile(f"package/{name}")
            assert member is not None, name
            (TARGET / name).write_bytes(member.read())
    (TARGET / VERSION).touch()


if __name__ == "__main__":
    main()
