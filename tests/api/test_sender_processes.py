"""The delivery tests again, with HOOKWIRE_SENDER_PROCESSES=1: a child process sends every
attempt while the server's worker claims, signs and records."""

from __future__ import annotations

import inspect
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from hookwire.delivery.senders import ProcessTransport
from hookwire.delivery.worker import Worker
from hookwire.runtime import Runtime
from hookwire.settings import Settings
from tests.api.test_delivery import (
    test_410_gone_disables_the_webhook,
    test_a_delivery_cancelled_while_in_flight_counts_the_attempt_and_stays_cancelled,
    test_a_slow_receiver_times_out,
    test_after_the_last_attempt_the_delivery_fails,
    test_an_emitted_event_arrives_as_a_verifiable_jwt,
    test_connection_refused_is_a_connection_error,
    test_failures_are_retried_on_the_schedule_until_success,
    test_non_global_targets_are_blocked_without_the_allow_list,
    test_redeliver_queues_one_more_attempt,
    test_retry_after_on_429_is_honoured,
)
from tests.support.delivery import emit, hook_to, unique_path
from tests.support.receiver import Receiver
from tests.support.server import Org, ServerThread

__all__ = [
    "test_410_gone_disables_the_webhook",
    "test_a_delivery_cancelled_while_in_flight_counts_the_attempt_and_stays_cancelled",
    "test_a_slow_receiver_times_out",
    "test_after_the_last_attempt_the_delivery_fails",
    "test_an_emitted_event_arrives_as_a_verifiable_jwt",
    "test_connection_refused_is_a_connection_error",
    "test_failures_are_retried_on_the_schedule_until_success",
    "test_non_global_targets_are_blocked_without_the_allow_list",
    "test_redeliver_queues_one_more_attempt",
    "test_retry_after_on_429_is_honoured",
]


@pytest.fixture(scope="module", autouse=True)
def sender_process(server: ServerThread) -> Iterator[ProcessTransport]:
    """The session's server, its worker sending through one sender process for this module
    (one Tortoise app per test process rules out a second server)."""
    runtime = server.runtime
    settings = runtime.settings
    senders = ProcessTransport(
        1,
        allowed_networks=settings.allowed_networks,
        resolve=settings.resolve,
        ca_bundle=settings.ca_bundle,
    )
    # The worker started with the in-process transport and keeps its number of senders;
    # the child still runs at most that many at once, through its queue of waiting attempts.
    senders.senders_for(inspect.signature(Worker).parameters["concurrency"].default)
    runtime.delivery_transport = senders
    try:
        yield senders
    finally:
        runtime.delivery_transport = runtime.transport
        server.run(senders.close())


def test_the_server_sends_through_its_sender_process(
    sender_process: ProcessTransport, org: Org, receiver: Receiver
) -> None:
    path = unique_path()
    hook_to(org, receiver, path)
    emit(org)
    receiver.wait_for(1, path)

    (pid,) = sender_process.pids
    assert pid != os.getpid()
    assert receiver.requests(path)[0].headers["user-agent"].startswith("Hookwire/")


def test_the_setting_gives_the_worker_sender_processes(tmp_path: Path) -> None:
    runtime = Runtime.create(
        Settings.from_env(
            {"HOOKWIRE_SENDER_PROCESSES": "2", "HOOKWIRE_DATABASE_URL": f"sqlite://{tmp_path}/x"},
            secret_keys=(Fernet.generate_key().decode(),),
        )
    )
    assert isinstance(runtime.delivery_transport, ProcessTransport)
    assert runtime.delivery_transport is not runtime.transport
    plain = Runtime.create(Settings.from_env({}, secret_keys=(Fernet.generate_key().decode(),)))
    assert plain.delivery_transport is plain.transport
