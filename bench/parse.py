"""Parser throughput against feedparser on the real feeds in tests/data, and peak memory while
stream-parsing a generated 50 MB feed; item shaping alone against xmltodict's streaming mode on
both (bench/shaping.py). Prints numbers; asserts nothing.

python -m bench.parse [--rounds N] [--megabytes M]
"""

import argparse
import contextlib
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench import shaping
from services.fetcher.normalize import InvalidItem, normalize_item
from services.fetcher.parse.stream import parse_feed, stream_feed

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
FEED_SUFFIXES = {".xml", ".rss", ".atom"}
DESCRIPTION = (
    "<p>We are hiring a <strong>{title}</strong> to join our platform team &amp; help us scale.</p>"
    "<h3>What you will do</h3><ul>"
    + "<li>Design, build and operate services used by millions.</li>"
    * 12
    + "</ul>"
    "<h3>What we offer</h3><p>Salary: $120,000 - $150,000 per year. Remote within Europe. "
    + "Flexible hours, learning budget, and a team that reviews code kindly. " * 14
    + '</p><p><a href="https://jobs.example.com/apply/{n}?utm_source=feed&amp;ref=rss">Apply</a></p>'
)
ITEM = (
    "<item><title>{title}</title><link>https://jobs.example.com/jobs/{n}</link>"
    '<guid isPermaLink="false">job-{n}</guid><pubDate>Mon, 07 Nov 2022 16:20:50 +0000</pubDate>'
    "<job_listing:company>Company {company}</job_listing:company>"
    "<job_listing:location>Berlin, Germany</job_listing:location><job_listing:job_type>Full Time"
    "</job_listing:job_type><category>Engineering</category><description><![CDATA[{description}]]>"
    "</description></item>\n"
)


def feed_files() -> list[Path]:
    return [path for path in sorted(DATA.iterdir()) if path.suffix in FEED_SUFFIXES]


def parse_and_normalize(body: bytes) -> int:
    parsed = parse_feed(body)
    for item in parsed.items:
        with contextlib.suppress(InvalidItem):  # still counted: the work was done
            normalize_item(item, parsed.format, "bench.example", [])
    return len(parsed.items)


def throughput(count_items: Callable[[bytes], int], bodies: list[bytes], rounds: int) -> tuple[float, float]:
    """Best of `rounds` passes over all the files: the least disturbed by the rest of the machine."""
    elapsed, items = min(_one_pass(count_items, bodies) for _ in range(rounds))
    return items / elapsed, sum(map(len, bodies)) / elapsed / 1e6


def _one_pass(count_items: Callable[[bytes], int], bodies: list[bytes]) -> tuple[float, int]:
    started = time.perf_counter()
    items = sum(count_items(body) for body in bodies)
    return time.perf_counter() - started, items


def compare_with_feedparser(rounds: int) -> None:
    import feedparser  # here, so the streaming child's memory baseline does not include it

    bodies = [path.read_bytes() for path in feed_files()]
    ours = sum(len(parse_feed(body).items) for body in bodies)
    theirs = sum(len(feedparser.parse(body).entries) for body in bodies)
    megabytes = sum(map(len, bodies)) / 1e6
    print(f"feeds: {len(bodies)} files, {megabytes:.1f} MB; items found: ours {ours}, feedparser {theirs}")
    results = {
        "parse only": throughput(lambda body: len(parse_feed(body).items), bodies, rounds),
        "parse+normalize": throughput(parse_and_normalize, bodies, rounds),
        "feedparser.parse": throughput(lambda body: len(feedparser.parse(body).entries), bodies, rounds),
    }
    for name, (items_per_second, megabytes_per_second) in results.items():
        print(f"  {name:17} {items_per_second:9,.0f} items/s {megabytes_per_second:7.1f} MB/s")
    base_items, base_megabytes = results["feedparser.parse"]
    for name in ("parse only", "parse+normalize"):
        items_ratio, megabytes_ratio = results[name][0] / base_items, results[name][1] / base_megabytes
        print(f"  {name} vs feedparser: {items_ratio:.1f}x items/s, {megabytes_ratio:.1f}x MB/s")


def generate_feed(path: Path, megabytes: int) -> int:
    with path.open("w", encoding="utf-8") as feed:
        feed.write('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" ')
        feed.write('xmlns:job_listing="https://jobs.example.com"><channel><title>Jobs</title><ttl>60</ttl>\n')
        count = 0
        while feed.tell() < megabytes * 1_000_000:
            title = f"Senior Engineer {count % 97}"
            description = DESCRIPTION.format(title=title, n=count)
            feed.write(ITEM.format(title=title, n=count, company=count % 500, description=description))
            count += 1
        feed.write("</channel></rss>\n")
    return count


def stream_in_this_process(path: str, normalize: bool) -> None:
    """Child mode: stream one file and report; the parent reads this process's peak RSS."""
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started, items = time.perf_counter(), 0
    with open(path, "rb") as source:
        stream = stream_feed(source)
        for batch in stream.batches(500):
            items += len(batch)
            for item in batch if normalize else ():
                with contextlib.suppress(InvalidItem):
                    normalize_item(item, stream.format, "bench.example", stream.warnings)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"{items} {time.perf_counter() - started:.2f} {baseline:.0f} {peak:.0f}")


def measure_stream(path: Path, normalize: bool) -> tuple[int, float, float, float]:
    command = [sys.executable, "-m", "bench.parse", "--stream-child", str(path)]
    child = subprocess.run(
        command + (["--normalize"] if normalize else []), capture_output=True, text=True, check=True
    )
    items, seconds, baseline, peak = child.stdout.split()
    return int(items), float(seconds), float(baseline), float(peak)


def measure_large_feed(megabytes: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "large.rss"
        generated = generate_feed(path, megabytes)
        size = path.stat().st_size / 1e6
        print(f"generated feed: {size:.1f} MB, {generated} items (~2 KB HTML descriptions)")
        for normalize in (False, True):
            items, seconds, baseline, peak = measure_stream(path, normalize)
            label = "stream parse+normalize" if normalize else "stream parse only"
            print(
                f"  {label:22} {items} items in {seconds:.1f} s ({size / seconds:.1f} MB/s), "
                f"peak RSS {peak:.0f} MB (interpreter + imports {baseline:.0f} MB)"
            )
        shaping.compare([path], 1, "generated feed")


def main() -> None:
    arguments = argparse.ArgumentParser()
    arguments.add_argument("--rounds", type=int, default=3)
    arguments.add_argument("--megabytes", type=int, default=50)
    arguments.add_argument("--stream-child", help=argparse.SUPPRESS)
    arguments.add_argument("--normalize", action="store_true", help=argparse.SUPPRESS)
    options = arguments.parse_args()
    if options.stream_child:
        stream_in_this_process(options.stream_child, options.normalize)
        return
    compare_with_feedparser(options.rounds)
    shaping.compare(feed_files(), options.rounds, "sample feeds")
    shaping.odd_inputs()
    measure_large_feed(options.megabytes)


if __name__ == "__main__":
    main()
