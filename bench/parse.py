"""Parse + normalize throughput over the real feeds in tests/data: items/s, MB/s, peak RSS.

python -m bench.parse [--rounds N]
"""

import argparse
import contextlib
import resource
import sys
import time
from pathlib import Path

from services.fetcher.normalize import InvalidItem, normalize_item
from services.fetcher.parse import parse_feed

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"


def parse_all(bodies: list[bytes]) -> int:
    items = 0
    for body in bodies:
        parsed = parse_feed(body)
        for item in parsed.items:
            with contextlib.suppress(InvalidItem):  # still counted: the work was done
                normalize_item(item, parsed.format, "bench.example")
        items += len(parsed.items)
    return items


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    bodies = [
        path.read_bytes() for path in sorted(DATA.glob("*")) if path.suffix in {".xml", ".rss", ".atom"}
    ]
    megabytes = sum(map(len, bodies)) / 1e6
    started = time.perf_counter()
    items = sum(parse_all(bodies) for _ in range(rounds))
    elapsed = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sys.stdout.write(
        f"feeds: {len(bodies)} files, {megabytes:.1f} MB, {items // rounds} items, {rounds} rounds\n"
        f"parse+normalize: {items / elapsed:,.0f} items/s, {megabytes * rounds / elapsed:.1f} MB/s\n"
        f"peak RSS: {peak_mb:.0f} MB\n"
    )


if __name__ == "__main__":
    main()
