"""`make run`: local stack, a demo feed server, the four services, one import. Ctrl-C stops all."""

import json
import os
import signal
import subprocess
import sys
import threading
import urllib.request

import yaml

from launcher.feed_server import FeedServer
from launcher.processes import ROOT, Services

DEMO_FEEDS = {
    "wwr-remote": "wwr_remote_jobs_2022.rss",
    "wwr-back-end": "wwr_back_end_2022.rss",
    "techcorridor": "techcorridor_positions_2017.atom",
    "indeed-talia": "indeed_format_talia_2026.xml",
    "jobsight": "jobsight_council_rss_2026.xml",
}
STATE = ROOT / ".stack"


def main() -> None:
    stack_started = _stack("up") if _stack("status") != 0 else None
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        with FeedServer(ROOT / "tests" / "data", int(os.environ.get("DEMO_FEEDS_PORT", 8090))) as feeds:
            services = Services(
                _environment(feeds), STATE / "logs", int(os.environ.get("GATEWAY_PORT", 8080))
            )
            services.start()
            try:
                _trigger(services)
                _say(f"\nDashboard: {services.gateway_url}/  (logs: {STATE / 'logs'}; Ctrl-C stops all)")
                _say(f"Sign in to import and edit: {services.gateway_url}/login#token={services.token}\n")
                stop.wait()
            finally:
                services.stop()
    finally:
        if stack_started == 0:
            _stack("down")


def _environment(feeds: FeedServer) -> dict[str, str]:
    registry = {
        "feeds": [
            {"id": feed_id, "url": feeds.url(name), "interval_minutes": 60, "enabled": True}
            for feed_id, name in DEMO_FEEDS.items()
        ]
    }
    feeds_file = STATE / "demo-feeds.yaml"
    feeds_file.parent.mkdir(parents=True, exist_ok=True)
    feeds_file.write_text(yaml.safe_dump(registry))
    # The demo's history is open to read; writes still need the token printed at start.
    demo = {
        "FEEDS_FILE": str(feeds_file),
        "FETCH_ALLOW_PRIVATE_NETWORKS": "true",
        "GATEWAY_PUBLIC_READS": "true",
    }
    return demo | {name: value for name, value in os.environ.items() if name.startswith("GATEWAY_")}


def _trigger(services: Services) -> None:
    request = urllib.request.Request(
        f"{services.gateway_url}/api/imports",
        data=json.dumps({"feeds": [], "trigger": "manual"}).encode(),
        headers={"Content-Type": "application/json"} | services.headers,
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        _say(f"Import requested: {json.load(response)['trigger_id']}")


def _stack(command: str) -> int:
    return subprocess.call(["bash", str(ROOT / "deploy/local/stack.sh"), command])


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
