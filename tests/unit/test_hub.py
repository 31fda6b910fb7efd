import json

import pytest

from services.gateway.hub import Hub, Subscription


class FakeSocket:
    def __init__(self, fail: bool = False) -> None:
        self.sent: list[dict[str, object]] = []
        self.fail, self.closed = fail, False

    async def send_text(self, data: str) -> None:
        if self.fail:
            raise ConnectionError("gone")
        self.sent.append(json.loads(data))

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        self.closed = True


def test_a_subscription_filters_by_run_feed_and_type() -> None:
    subscription = Subscription.from_request({"subscribe": {"feed_id": "f1", "types": ["import_log"]}})
    assert subscription.wants("import_log", {"feed_id": "f1"})
    assert not subscription.wants("job_status", {"feed_id": "f1"})
    assert not subscription.wants("import_log", {"feed_id": "f2"})


@pytest.mark.parametrize("request_", [{}, {"subscribe": {"colour": "red"}}, {"subscribe": {"types": ["x"]}}])
def test_a_malformed_subscription_is_refused(request_: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Subscription.from_request(request_)


async def test_broadcast_reaches_matching_clients_and_drops_broken_ones() -> None:
    hub = Hub()
    everything, only_run, broken = FakeSocket(), FakeSocket(), FakeSocket(fail=True)
    for client in (everything, only_run, broken):
        hub.join(client)
    hub.subscribe(only_run, Subscription(run_id="r2"))

    await hub.broadcast("job_status", {"run_id": "r1", "outcome": "new"})

    assert everything.sent == [{"type": "job_status", "data": {"run_id": "r1", "outcome": "new"}}]
    assert only_run.sent == []
    assert broken.closed and broken not in hub.clients
