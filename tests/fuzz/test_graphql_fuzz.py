"""Schemathesis over every Query and Mutation field: no input makes the server fail.

Expected failures are typed union members (ValidationError, NotFoundError, ...) or GraphQL
errors with a code (INVALID_INPUT, FORBIDDEN, a validation error for an ill-typed literal).
An unhandled exception shows as "Unexpected error" with code INTERNAL_SERVER_ERROR (the
masking in hookwire.schema.hygiene), a broken non-null field as graphql-core's "Cannot
return null" text, and a crash outside GraphQL as a 5xx: each fails the test.

Arguments are random, and often replaced with values that reach past the first check:
catalog names, usable target URLs, ids, cursors and header names of a seeded organization
(schemathesis dictionaries). Deliveries go to hosts that fail fast: a blocked address, a
name that does not resolve, or the test receiver. The run is derandomized and small per
field, so it is the same every time and takes about half a minute. A MEMBER key then runs
every mutation and must change nothing.

Each field's cases come from `operation.as_strategy()` under Hypothesis directly:
schemathesis's pytest integration (`from_fixture(...).parametrize()`) does not run on
pytest 9.2, which has no `Node._nodeid` any more.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import graphql
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import APIOperation, Case, Response
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.graphql.schemas import GraphQLSchema

from hookwire.domain.access import Role
from hookwire.domain.event_catalog import event_types
from hookwire.schema.schema import export_sdl
from hookwire.services.access import create_api_key
from tests.fuzz.scalars import register_scalars
from tests.support.receiver import Receiver
from tests.support.server import Org, ServerThread, new_org

# More by hand: HOOKWIRE_FUZZ_EXAMPLES=500 HOOKWIRE_FUZZ_RANDOM=1 pytest tests/fuzz
EXAMPLES_PER_FIELD = int(os.environ.get("HOOKWIRE_FUZZ_EXAMPLES", "100"))
MEMBER_EXAMPLES_PER_MUTATION = 5
DERANDOMIZE = not os.environ.get("HOOKWIRE_FUZZ_RANDOM")

register_scalars()
# The server's worker draws retry jitter from the `random` module in its own thread, which
# Hypothesis mistakes for a strategy using it.
pytestmark = pytest.mark.filterwarnings("ignore:Do not use the `random` module inside strategies")

# --- the fields and the seeded organization ------------------------------------------


def _root_fields() -> list[str]:
    schema = graphql.build_schema(export_sdl())
    roots = [schema.query_type, schema.mutation_type]
    return [f"{root.name}.{name}" for root in roots if root is not None for name in root.fields]


FIELDS = _root_fields()
MUTATIONS = [label for label in FIELDS if label.startswith("Mutation.")]
EVENT_NAMES = [entry.name for entry in event_types("event")]
SYNC_HOOK_NAMES = [entry.name for entry in event_types("sync_hook")]

SEED = """
mutation Seed($input: CreateWebhookInput!) {
  createWebhook(input: $input) { ... on Webhook { id } ... on UserError { code message } }
}
"""
EMIT = """
mutation Emit($input: EmitEventInput!) {
  emitEvent(input: $input) { ... on Event { id deliveries { id } } }
}
"""
CURSORS = "{ webhooks { edges { cursor } } deliveries { edges { cursor } } }"


@dataclass(frozen=True)
class Seeds:
    """Things of the fuzz organization that generated arguments may name."""

    webhook_ids: list[str]
    disposable_webhook_id: str
    event_ids: list[str]
    delivery_ids: list[str]
    cursors: list[str]
    target_urls: list[str]


def _seed(org: Org, receiver: Receiver) -> Seeds:
    client = org.client()
    urls = [
        receiver.url("/fuzz/kept"),
        "https://private.test/fuzz",  # resolves to 10.1.2.3: BLOCKED at once
        "https://loopback.test:8443/fuzz",  # resolves to 127.0.0.2: BLOCKED at once
        "https://no-such-host.invalid/fuzz",  # fails to resolve
    ]
    triggers = [{"triggerType": "EVENT", "triggerName": "PersonCreated_v1"}] + [
        {"triggerType": "SYNC_HOOK", "triggerName": name} for name in SYNC_HOOK_NAMES
    ]
    webhook_ids = []
    for index, url in enumerate(urls[:3]):
        payload = {"name": f"seed {index}", "targetUrl": url, "triggers": triggers}
        webhook_ids.append(client.data(SEED, input=payload)["createWebhook"]["id"])
    disposable = client.data(SEED, input={"name": "disposable", "targetUrl": urls[3]})
    event = client.data(EMIT, input={"eventName": "PersonCreated_v1"})["emitEvent"]
    pages = client.data(CURSORS)
    return Seeds(
        webhook_ids=webhook_ids,
        disposable_webhook_id=disposable["createWebhook"]["id"],
        event_ids=[event["id"]],
        delivery_ids=[d["id"] for d in event["deliveries"]],
        cursors=[e["cursor"] for key in ("webhooks", "deliveries") for e in pages[key]["edges"]],
        target_urls=urls,
    )


def _config(seeds: Seeds) -> SchemathesisConfig:
    """Schemathesis dictionaries: named values substituted for these arguments half the time."""
    absent = "0190a000-0000-7000-8000-000000000000"
    dictionaries = {
        "event-names": [*EVENT_NAMES[:8], "personcreated_v1", "token_minted"],
        "sync-hook-names": [*SYNC_HOOK_NAMES, "PersonCreated_v1"],
        "trigger-names": EVENT_NAMES[:4] + SYNC_HOOK_NAMES,
        "target-urls": [
            *seeds.target_urls,
            *(f"https://private.test/fuzz/{n}" for n in range(20)),
            *(f"https://no-such-host.invalid/fuzz/{n}" for n in range(20)),
            "http://example.com/",
        ],
        "header-names": ["X-Api-Key", "x-api-key", "Host", "Proxy-Authorization", "X-Tenant"],
        "webhook-ids": [*seeds.webhook_ids, absent, "not-a-uuid"],
        "disposable-ids": [seeds.disposable_webhook_id, absent],
        "event-ids": [*seeds.event_ids, absent],
        "delivery-ids": [*seeds.delivery_ids, absent],
        "cursors": [*seeds.cursors, "AAAAAAAAAAAAAAAAAAAAAA"],
        "idempotency-keys": ["order-1", "order-2", "x" * 255, "x" * 256],
    }
    bindings = {
        "Mutation.emitEvent.input.eventName": "event-names",
        "Mutation.emitEvent.input.idempotencyKey": "idempotency-keys",
        "Mutation.generateTestEvents.events[*].eventName": "event-names",
        "Mutation.invokeSyncHook.name": "sync-hook-names",
        "Mutation.createWebhook.input.triggers[*].triggerName": "trigger-names",
        "Mutation.addTrigger.trigger.triggerName": "trigger-names",
        "Mutation.removeTrigger.trigger.triggerName": "trigger-names",
        "Mutation.createWebhook.input.targetUrl": "target-urls",
        "Mutation.updateWebhook.input.targetUrl": "target-urls",
        "Mutation.createWebhook.input.customHeaders[*].name": "header-names",
        "Mutation.updateWebhook.input.customHeaders[*].name": "header-names",
        "Query.webhook.id": "webhook-ids",
        "Query.triggers.webhookId": "webhook-ids",
        "Query.deliveries.webhookId": "webhook-ids",
        "Mutation.updateWebhook.id": "webhook-ids",
        "Mutation.addTrigger.webhookId": "webhook-ids",
        "Mutation.removeTrigger.webhookId": "webhook-ids",
        "Mutation.deleteWebhook.id": "disposable-ids",
        "Query.event.id": "event-ids",
        "Query.deliveries.eventId": "event-ids",
        "Query.delivery.id": "delivery-ids",
        "Mutation.redeliver.deliveryId": "delivery-ids",
        "Query.webhooks.after": "cursors",
        "Query.deliveries.after": "cursors",
        "Webhook.deliveries.after": "cursors",
    }
    return SchemathesisConfig.from_dict(
        {
            "seed": 1,
            "dictionaries": {name: {"values": values} for name, values in dictionaries.items()},
            "parameters": {
                key: {"dictionary": name, "probability": 0.5} for key, name in bindings.items()
            },
        }
    )


@pytest.fixture(scope="module")
def fuzz_org(server: ServerThread) -> Org:
    return new_org(server, "Fuzz")


@pytest.fixture(scope="module")
def graphql_api(server: ServerThread, fuzz_org: Org, receiver: Receiver) -> GraphQLSchema:
    return schemathesis.graphql.from_url(
        server.url + "/graphql",
        config=_config(_seed(fuzz_org, receiver)),
        headers={"Authorization": f"Bearer {fuzz_org.api_key}"},
    )


# --- the checks ----------------------------------------------------------------------


def _not_json(constant: str) -> None:
    raise ValueError(f"{constant} is not JSON")


def server_failures(response: Response) -> list[str]:
    """What in a GraphQL response shows a bug in the server rather than a refused input."""
    if response.status_code >= 500:
        return [f"HTTP {response.status_code}: {response.text[:500]}"]
    try:
        body = json.loads(response.text, parse_constant=_not_json)
    except ValueError as error:
        return [f"the answer is not JSON: {error}"]
    problems = []
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        message = error.get("message", "")
        if (
            code == "INTERNAL_SERVER_ERROR"
            or message == "Unexpected error"
            or "Cannot return null for non-nullable field" in message
        ):
            problems.append(f"{message} (code {code}, path {error.get('path')})")
    return problems


def fuzz(
    operation: APIOperation, api_key: str, examples: int, check: Callable[[Case, Response], None]
) -> None:
    """Run `check` on the server's answers to `examples` generated calls of one root field."""

    @settings(
        max_examples=examples,
        derandomize=DERANDOMIZE,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(headers={"Authorization": f"Bearer {api_key}"}))
    def run(case: Case) -> None:
        check(case, case.call(timeout=30))

    run()


def _operation(api: GraphQLSchema, label: str) -> APIOperation:
    operation = api.find_operation_by_label(label)
    assert operation is not None, f"the server does not serve {label}"
    return operation


def test_every_root_field_is_fuzzed(graphql_api: GraphQLSchema) -> None:
    served = {result.ok().label for result in graphql_api.get_all_operations()}
    assert served == set(FIELDS)


@pytest.mark.parametrize("label", FIELDS)
def test_no_input_makes_the_server_fail(
    graphql_api: GraphQLSchema, fuzz_org: Org, label: str
) -> None:
    def check(case: Case, response: Response) -> None:
        problems = server_failures(response)
        assert not problems, f"{case.body}\n→ " + "\n→ ".join(problems)

    fuzz(_operation(graphql_api, label), fuzz_org.api_key, EXAMPLES_PER_FIELD, check)


STATE = """
{
  webhooks(first: 100) { edges { node { id name description targetUrl timeout enabled
                                        customHeaders { name values } triggers { triggerName } } } }
  organization { signingKeys { kid } }
  deliveries(first: 100) { edges { node { id } } }
}
"""


@pytest.mark.parametrize("label", MUTATIONS)
def test_a_member_key_changes_nothing(
    graphql_api: GraphQLSchema, fuzz_org: Org, label: str
) -> None:
    member_key = fuzz_org.server.run(create_api_key(uuid.UUID(fuzz_org.id), Role.MEMBER))
    before = fuzz_org.client().data(STATE)

    def check(case: Case, response: Response) -> None:
        assert not server_failures(response), case.body
        body: dict[str, Any] = response.json()
        assert body.get("errors"), f"a MEMBER key ran a mutation: {case.body}\n→ {body}"
        assert body.get("data") is None

    fuzz(_operation(graphql_api, label), member_key, MEMBER_EXAMPLES_PER_MUTATION, check)
    assert fuzz_org.client().data(STATE) == before
