"""The `replay` command: plan, jobs, logs and dlq, sharing one way to select messages."""

import asyncio
import functools
import json
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

import click
from rich.console import Console

from replay import commands
from replay.config import Settings
from replay.window import Selection, SelectionError, parse_moment


def selection_options(default_topic: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        options = [
            click.option("--topic", default=default_topic, show_default=True, help="Topic, or <topic>.dlq."),
            click.option("--since", help="Start: ISO time or a time ago such as 2h, 30m, 7d."),
            click.option("--until", help="End (exclusive): ISO time or a time ago."),
            click.option("--run", "runs", multiple=True, help="A run id; repeat for several."),
            click.option("--feed", help="A feed id."),
            click.option("--trigger", help="A trigger id."),
            click.option("--key", help="A job key."),
        ]
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


def selection(
    topic: str, since: str | None, until: str | None, runs: tuple[str, ...], **ids: Any
) -> Selection:
    now = datetime.now(UTC)
    return Selection(
        topic=topic,
        since=parse_moment(since, now) if since else None,
        until=parse_moment(until, now) if until else None,
        runs=frozenset(runs),
        **ids,
    )


def run(work: Callable[..., Coroutine[Any, Any, int]]) -> Callable[..., None]:
    """Run the command's coroutine; bad input is exit code 2 with the reason, as for a usage error."""

    @functools.wraps(work)
    def command(**options: Any) -> None:
        try:
            code = asyncio.run(work(**options))
        except SelectionError as error:
            raise click.UsageError(str(error)) from None
        raise SystemExit(code)

    return command


@click.group(help="Re-drive history from Kafka: look at a plan first, then re-import, rebuild or redrive.")
def main() -> None: ...


@main.command(help="Show what a selection matches: offsets per partition, counts per feed and run.")
@selection_options("jobs.fetched")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@run
async def plan(as_json: bool, **options: Any) -> int:
    found = await commands.plan(Settings(), selection(**options))
    if as_json:
        click.echo(json.dumps(found.as_json(), indent=2))
    else:
        commands.show_plan(found, Console())
    return 0


@main.command(help="Re-publish matching JobFetched as a new replay trigger: one new run per run.")
@selection_options("jobs.fetched")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--dry-run", is_flag=True, help="Show the plan, write nothing.")
@run
async def jobs(yes: bool, dry_run: bool, **options: Any) -> int:
    return await commands.replay_jobs(Settings(), selection(**options), _ask(yes, dry_run))


@main.command(help="Rebuild the matching runs' import_logs from jobs.status and imports.runs.")
@selection_options("jobs.status")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--dry-run", is_flag=True, help="Print the differences, write nothing.")
@run
async def logs(yes: bool, dry_run: bool, **options: Any) -> int:
    return await commands.rebuild_logs(Settings(), selection(**options), _ask(yes, dry_run))


@main.command(help="List dead letters with their reason and origin; --redrive sends them back.")
@selection_options("jobs.fetched.dlq")
@click.option("--redrive", is_flag=True, help="Re-publish the waiting ones to their source topic.")
@click.option("--max-attempts", type=int, help="Give up on letters that failed this often [default: 3].")
@click.option("--json", "as_json", is_flag=True, help="List the dead letters as JSON.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--dry-run", is_flag=True, help="List what would be redriven, write nothing.")
@run
async def dlq(
    redrive: bool, max_attempts: int | None, as_json: bool, yes: bool, dry_run: bool, **options: Any
) -> int:
    settings = Settings()
    limit = max_attempts or settings.replay_max_attempts
    ask = _ask(yes, dry_run) if redrive else None
    return await commands.dead_letters(settings, selection(**options), limit, as_json, ask)


def _ask(yes: bool, dry_run: bool) -> Callable[[str], bool]:
    """Whether to go ahead: never on a dry run, always with --yes, else the operator says."""

    def confirm(question: str) -> bool:
        if dry_run:
            click.echo("dry run: nothing written")
            return False
        return yes or click.confirm(question, err=True, abort=True)  # "no" exits 1, nothing written

    return confirm
