"""Generated RSS 2.0 job feeds of any size, in two versions: as first seen, and with every second
job changed (title and description). Items keep their guid across versions, so a job stays one job.
"""

from pathlib import Path

from bench.parse import DESCRIPTION

HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" xmlns:job_listing="https://jobs.example.com">'
    "<channel><title>Bench jobs</title><link>https://jobs.example.com</link><ttl>60</ttl>\n"
)
ITEM = (
    "<item><title>{title}</title><link>https://jobs.example.com/{feed}/jobs/{n}</link>"
    '<guid isPermaLink="false">{feed}-{n}</guid><pubDate>Mon, 07 Nov 2022 16:20:50 +0000</pubDate>'
    "<job_listing:company>Company {company}</job_listing:company>"
    "<job_listing:location>{location}</job_listing:location>"
    "<job_listing:job_type>Full Time</job_listing:job_type><category>Engineering</category>"
    "<description><![CDATA[{description}]]></description></item>\n"
)
LOCATIONS = ("Berlin, Germany", "London, United Kingdom", "Austin, TX", "Lisbon, Portugal", "Remote")


def write_feed(path: Path, feed: str, jobs: int, half_changed: bool = False) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        for n in range(jobs):
            changed = half_changed and n % 2 == 1
            title = f"{'Staff' if changed else 'Senior'} Engineer {n % 97}"
            out.write(
                ITEM.format(
                    title=title,
                    feed=feed,
                    n=n,
                    company=n % 500,
                    location=LOCATIONS[n % len(LOCATIONS)],
                    description=DESCRIPTION.format(title=title, n=n),
                )
            )
        out.write("</channel></rss>\n")


def changed_jobs(jobs: int) -> int:
    return jobs // 2
