"""`GET /api/jobs?q=`: a word anywhere in the title, the company's name or the description, in any case."""

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.integration.test_api_contract import AUTH, Gateway, gateway

__all__ = ["gateway"]  # the fixture
NOW = datetime.now(UTC)
JOBS = [
    {"title": "Kotlin Engineer", "company": {"name": "Acme"}, "description_text": "Ships apps."},
    {"title": "Designer", "company": {"name": "Kotlinworks Ltd"}, "description_text": "Figma."},
    {"title": "Writer", "company": None, "description_text": "Docs for our KOTLIN libraries."},
    {"title": "Accountant", "company": {"name": "Numbers"}, "description_text": "Ledgers, not code."},
]


async def stored(database: Any) -> None:
    await database.jobs.insert_many(
        [
            job
            | {"_id": f"src:{n}", "job_key": f"src:{n}", "source": "src", "first_seen_at": NOW - timedelta(n)}
            for n, job in enumerate(JOBS)
        ]
    )


async def titles(api: Any, **query: str) -> list[str]:
    response = await api.get("/api/jobs", params=query, headers=AUTH)
    assert response.status_code == 200, response.text
    return [job["title"] for job in response.json()["items"]]


async def test_q_finds_a_word_in_the_title_the_company_or_the_description(
    gateway: Gateway, database: Any
) -> None:
    await stored(database)
    async with gateway() as api:
        assert await titles(api, q="kotlin") == ["Kotlin Engineer", "Designer", "Writer"]
        assert await titles(api, q="kotlin", company="acme") == ["Kotlin Engineer"]
        assert await titles(api, q="ledgers, not") == ["Accountant"]
        assert await titles(api, q="(") == []  # text, not a pattern
        first = (await api.get("/api/jobs", params={"q": "kotlin", "limit": 2}, headers=AUTH)).json()
        older = await titles(api, q="kotlin", limit="2", cursor=first["next_cursor"])
        assert [job["title"] for job in first["items"]] + older == ["Kotlin Engineer", "Designer", "Writer"]
