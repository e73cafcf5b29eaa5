"""Recording respects leases: a worker whose lease ran out and was taken over stores its
attempt but leaves the delivery to the worker that holds it now."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from hookwire.delivery.recording import attempt_record
from hookwire.delivery.transport import AttemptResult
from hookwire.models import Delivery, DeliveryAttempt
from hookwire.models.queue import Settlement, delivery_queue
from tests.support.delivery import emit, hook_to, unique_path, wait_for_status
from tests.support.receiver import Receiver
from tests.support.server import Org, ServerThread


def test_only_the_lease_holder_settles_a_delivery(
    server: ServerThread, org: Org, receiver: Receiver
) -> None:
    webhook = hook_to(org, receiver, unique_path())
    event = emit(org)
    wait_for_status(org, event["deliveries"][0]["id"])
    now = datetime.now(UTC)
    result = AttemptResult("SUCCEEDED", 200, 3.0, now, now + timedelta(milliseconds=3))

    async def scenario() -> tuple[tuple[object, ...], tuple[object, ...], int]:
        # A delivery leased for an hour to worker A: the running worker leaves it alone.
        leased = await Delivery.create(
            organization_id=uuid.UUID(org.id),
            event_id=uuid.UUID(event["id"]),
            webhook_id=uuid.UUID(webhook["id"]),
            attempt_budget=3,
            next_attempt_at=now,
            lease_owner="worker-a",
            lease_expires_at=now + timedelta(hours=1),
        )
        queue = delivery_queue()

        async def record_as(owner: str) -> tuple[object, ...]:
            attempt = attempt_record(
                organization_id=org.id,
                webhook_id=webhook["id"],
                trigger_type="event",
                trigger_name="PersonCreated_v1",
                attempt_number=1,
                result=result,
                delivery_id=leased.id,
                event_id=event["id"],
            )
            await queue.record(owner, [attempt], {str(leased.id): Settlement("SUCCEEDED", 1)}, [])
            row = await Delivery.get(id=leased.id)
            return (row.status, row.attempt_count, row.lease_owner)

        by_b = await record_as("worker-b")
        by_a = await record_as("worker-a")
        stored = await DeliveryAttempt.filter(delivery_id=leased.id).count()
        return by_b, by_a, stored

    by_b, by_a, stored = server.run(scenario())

    assert by_b == ("PENDING", 0, "worker-a")
    assert by_a == ("SUCCEEDED", 1, None)
    assert stored == 2  # both attempts happened, so both are stored
