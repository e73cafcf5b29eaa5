"""The worker's own Python per delivery, outside aiohttp and the database.

    .venv/bin/python -m bench.worker_path                 # microseconds per delivery
    .venv/bin/python -m bench.worker_path --batches 1     # for instruction counts, see below

One batch of 128 claimed rows (as the SQLite claim returns them) goes through what the event
loop thread does with each delivery apart from the POST and the SQL: the claimed rows into
claims, work items and JWT claim sets, an attempt's result and retry decision, then
record_finished's attempt records, settlements and recording statements (run on no
database). Wall time on a shared VM is noisy; instruction counts are not
(docs/performance.md):

    valgrind --tool=callgrind --callgrind-out-file=/dev/null \\
        .venv/bin/python -m bench.worker_path --batches 1 --no-timing
    # the same with --batches 6; (second - first) / (5 * 128) = instructions per delivery
"""

from __future__ import annotations

import argparse
import json
import time
import timeit
from collections.abc import Coroutine, Mapping, Sequence
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, cast

from hookwire.delivery.recording import Finished, record_finished
from hookwire.delivery.transport import _result
from hookwire.delivery.worker import Target, Worker
from hookwire.domain.retry_policy import decide
from hookwire.models.ids import uuid7_text
from hookwire.models.queue import (
    AttemptRecord,
    DeliveryQueue,
    Settlement,
    _claims_from_rows,
    _events_from_rows,
    _record_statements,
)

BATCH = 128
RETRY_SCHEDULE = (30.0, 300.0)


def claimed_rows() -> tuple[str, list[tuple[str, str, str]]]:
    """A claim's JSON array, 128 deliveries of 32 events to 4 webhooks, and the events' rows."""
    now = datetime.now(UTC).isoformat(" ")
    content = json.dumps({"person_id": "p" * 36, "emails": ["a@example.com"], "n": 1})
    events = [uuid7_text() for _ in range(BATCH // 4)]

    def row(i: int) -> list[object]:
        delivery = (uuid7_text(), "org", events[i // 4], f"hook-{i % 4}", 0, 4, now)
        webhook = (f"https://hooks.test/{i % 4}", "", 0, 1)  # URL, headers, timeout, enabled
        return [*delivery, *webhook]

    event_rows = [(event, "PersonCreated_v1", content) for event in events]
    return json.dumps([row(i) for i in range(BATCH)]), event_rows


def one_batch(worker: Worker, claimed: tuple[str, list[tuple[str, str, str]]]) -> None:
    payload, event_rows = claimed
    targets: dict[str, Target] = {}
    finished: list[Finished] = []
    claims = _claims_from_rows(json.loads(payload), _events_from_rows(event_rows, True))
    for delivery, webhook, event in claims:
        assert webhook is not None and event is not None
        target = targets.get(webhook.id)
        if target is None:
            headers = (("Content-Type", "application/jwt"),)
            target = targets[webhook.id] = Target(webhook.target_url, headers, 10.0, True)
        worker._claims(delivery, target, event)
        result = _result(datetime.now(UTC), time.perf_counter(), "SUCCEEDED", 200)
        decision = decide(
            outcome=result.outcome,
            status_code=result.status_code,
            attempt_number=delivery.attempt_count + 1,
            budget=delivery.attempt_budget,
            schedule=RETRY_SCHEDULE,
            retry_after_seconds=result.retry_after_seconds,
        )
        finished.append(Finished(delivery, event.name, result, decision))
    _finish(record_finished(finished, cast(DeliveryQueue, StatementsOnly()), "bench"))


class StatementsOnly:
    """Stands in for DeliveryQueue: builds the recording statements, runs none."""

    async def record(
        self,
        owner: str,
        attempts: Sequence[AttemptRecord],
        settlements: Mapping[str, Settlement],
        gone_webhooks: Sequence[str],
    ) -> None:
        _record_statements("sqlite", owner, attempts, settlements, gone_webhooks)


def _finish(coroutine: Coroutine[Any, Any, Any]) -> None:
    """Run a coroutine that awaits nothing that suspends, without an event loop."""
    try:
        coroutine.send(None)
    except StopIteration:
        return
    raise RuntimeError("the coroutine suspended")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=3, help="untimed batches first")
    parser.add_argument("--no-timing", action="store_true", help="only the untimed batches")
    args = parser.parse_args()
    # The worker's helpers read only these two settings of the runtime.
    settings = SimpleNamespace(jwt_issuer="https://hookwire.test", retry_schedule=RETRY_SCHEDULE)
    worker = Worker.__new__(Worker)
    worker.runtime = SimpleNamespace(settings=settings)  # type: ignore[assignment]
    payload = claimed_rows()
    for _ in range(args.batches):
        one_batch(worker, payload)
    if args.no_timing:
        return
    best = min(timeit.repeat(lambda: one_batch(worker, payload), number=20, repeat=7))
    report: dict[str, Any] = {
        "benchmark": "bench/worker_path.py",
        "us_per_delivery": round(best / 20 / BATCH * 1e6, 2),
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
