import asyncio
import json
from typing import Any

import pytest

from services.gateway.hub import Hub, Outbox, Subscription

QUEUE_SIZE, INTERVAL = 1000, 0.25  # the gateway's defaults


def status(run_id: str = "r1", outcome: str = "new", feed_id: str = "f1") -> dict[str, Any]:
    return {"run_id": run_id, "trigger_id": "t1", "feed_id": feed_id, "job_key": "k", "outcome": outcome}


def frames(outbox: Outbox) -> list[dict[str, Any]]:
    taken = [json.loads(frame) for frame in outbox.frames]
    outbox.frames.clear()
    return taken


def subscribed(hub: Hub, request: dict[str, Any]) -> Outbox:
    outbox = hub.join()
    hub.request(outbox, json.dumps(request))
    assert not outbox.frames, frames(outbox)
    return outbox


class TestSubscriptions:
    def test_a_subscription_filters_by_run_feed_and_type(self) -> None:
        subscription = Subscription.from_request({"subscribe": {"feed_id": "f1", "types": ["import_log"]}})
        assert subscription.wants("import_log", {"feed_id": "f1"})
        assert not subscription.wants("run_progress", {"feed_id": "f1"})
        assert not subscription.wants("import_log", {"feed_id": "f2"})

    def test_naming_a_run_adds_its_job_statuses_unless_types_are_given(self) -> None:
        assert Subscription.from_request({"subscribe": {"run_id": "r1"}}).wants("job_status", status())
        only_logs = Subscription.from_request({"subscribe": {"run_id": "r1", "types": "import_log"}})
        assert not only_logs.wants("job_status", status())

    @pytest.mark.parametrize(
        "request_",
        [
            {},
            [],
            "subscribe",
            {"subscribe": {"colour": "red"}},
            {"subscribe": {}, "extra": 1},
            {"subscribe": ["run_id"]},
            {"subscribe": {"types": ["x"]}},
            {"subscribe": {"types": [[1]]}},
            {"subscribe": {"types": [{"a": 1}]}},
            {"subscribe": {"types": 3}},
            {"subscribe": {"run_id": 7}},
            {"subscribe": {"feed_id": ["f1"]}},
        ],
    )
    def test_a_malformed_subscription_is_a_value_error(self, request_: object) -> None:
        with pytest.raises(ValueError):
            Subscription.from_request(request_)

    @pytest.mark.parametrize("text", ['{"subscribe":{"types":[[1]]}}', "{not json", "[" * 100_000, None])
    def test_a_malformed_message_gets_an_error_frame_and_keeps_the_filter(self, text: str | None) -> None:
        hub = Hub(QUEUE_SIZE, INTERVAL)
        outbox = subscribed(hub, {"subscribe": {"types": ["import_log"]}})
        hub.request(outbox, text)
        [error] = frames(outbox)
        assert error["type"] == "error" and error["data"]["message"]
        assert outbox.subscription.types == {"import_log"}


class TestFanOut:
    def test_by_default_a_client_gets_logs_and_progress_but_not_each_job(self) -> None:
        hub = Hub(QUEUE_SIZE, INTERVAL)
        everyone = hub.join()
        hub.publish("job_status", status())
        hub.publish("import_log", {"run_id": "r1", "feed_id": "f1", "status": "running"})
        assert [frame["type"] for frame in frames(everyone)] == ["import_log"]

    def test_a_client_following_a_run_gets_its_job_statuses(self) -> None:
        hub = Hub(QUEUE_SIZE, INTERVAL)
        follower = subscribed(hub, {"subscribe": {"run_id": "r1"}})
        hub.publish("job_status", status("r1", "updated"))
        hub.publish("job_status", status("r2"))
        assert frames(follower) == [{"type": "job_status", "data": status("r1", "updated")}]

    def test_an_event_is_encoded_once_for_all_clients(self) -> None:
        hub = Hub(QUEUE_SIZE, INTERVAL)
        first, second = hub.join(), hub.join()
        hub.publish("import_log", {"run_id": "r1"})
        assert first.frames[0] is second.frames[0]

    def test_an_overflowing_client_is_dropped_while_the_others_get_everything(self) -> None:
        hub = Hub(queue_size=3, progress_interval=INTERVAL)
        slow, fast = hub.join(), hub.join()
        received = []
        for number in range(10):
            hub.publish("import_log", {"run_id": f"r{number}"})
            received += frames(fast)
        assert [frame["data"]["run_id"] for frame in received] == [f"r{n}" for n in range(10)]
        assert slow.dropped.is_set() and not slow.frames
        assert len(hub) == 1 and hub.dropped == 1

    async def test_publish_never_waits_for_a_client(self) -> None:
        hub = Hub(QUEUE_SIZE, INTERVAL)
        stuck = hub.join()  # nobody drains it
        for number in range(5000):
            hub.publish("import_log", {"run_id": str(number)})  # synchronous: it cannot await
        assert stuck.dropped.is_set()

    async def test_a_writer_takes_frames_in_order(self) -> None:
        hub = Hub(QUEUE_SIZE, INTERVAL)
        outbox = hub.join()
        waiting = asyncio.create_task(outbox.next())
        hub.publish("import_log", {"run_id": "a"})
        hub.publish("import_log", {"run_id": "b"})
        assert json.loads(await waiting)["data"]["run_id"] == "a"
        assert json.loads(await outbox.next())["data"]["run_id"] == "b"


class TestProgress:
    async def test_a_burst_of_statuses_becomes_one_frame_per_interval_with_exact_counts(self) -> None:
        hub = Hub(QUEUE_SIZE, progress_interval=0.01)
        watcher = hub.join()
        for outcome in ["new"] * 700 + ["updated"] * 200 + ["unchanged"] * 90 + ["failed"] * 10:
            hub.publish("job_status", status(outcome=outcome))
        ticking = asyncio.create_task(hub.run())
        try:
            frame = json.loads(await watcher.next())
            hub.publish("job_status", status(outcome="new"))
            later = json.loads(await watcher.next())
        finally:
            ticking.cancel()
        counts = {"new": 700, "updated": 200, "unchanged": 90, "failed": 10}
        ids = {"run_id": "r1", "feed_id": "f1", "trigger_id": "t1"}
        assert frame == {"type": "run_progress", "data": ids | {"counts": counts, "statuses": 1000}}
        assert later["data"]["counts"]["new"] == 701 and later["data"]["statuses"] == 1001
        assert not watcher.frames

    async def test_an_unchanged_run_sends_no_progress(self) -> None:
        hub = Hub(QUEUE_SIZE, progress_interval=0.001)
        hub.publish("job_status", status())
        watcher = hub.join()
        ticking = asyncio.create_task(hub.run())
        await watcher.next()
        for _ in range(20):  # twenty intervals with nothing new
            await asyncio.sleep(0.001)
        ticking.cancel()
        assert not watcher.frames

    def test_a_final_log_sends_the_last_progress_first_and_forgets_the_run(self) -> None:
        hub = Hub(QUEUE_SIZE, INTERVAL)
        watcher = hub.join()
        hub.publish("job_status", status())
        hub.publish("import_log", {"run_id": "r1", "feed_id": "f1", "status": "completed"})
        assert [frame["type"] for frame in frames(watcher)] == ["run_progress", "import_log"]
        assert "r1" not in hub.progress.runs

    def test_progress_is_kept_for_a_bounded_number_of_runs(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr("services.gateway.hub.MAX_RUNS", 3)
        hub = Hub(QUEUE_SIZE, INTERVAL)
        for number in range(5):
            hub.publish("job_status", status(run_id=f"r{number}"))
        assert list(hub.progress.runs) == ["r2", "r3", "r4"]
