"""addTrigger, removeTrigger, triggers and eventTypes."""

from __future__ import annotations

from tests.api.test_webhooks import create
from tests.support.server import Org

ADD = """
mutation Add($id: ID!, $trigger: TriggerInput!) {
  addTrigger(webhookId: $id, trigger: $trigger) {
    __typename
    ... on Webhook { triggers { triggerType triggerName } }
    ... on UserError { code message }
    ... on ValidationError { field }
  }
}
"""
REMOVE = ADD.replace("addTrigger", "removeTrigger").replace("Add(", "Remove(")
TRIGGERS = "query T($id: ID!) { triggers(webhookId: $id) { triggerType triggerName } }"
EVENT_TYPES = """
query E($type: TriggerType) { eventTypes(triggerType: $type) {
  name triggerType description fields { name type description } } }
"""
PERSON_CREATED = {"triggerType": "EVENT", "triggerName": "PersonCreated_v1"}
TOKEN_MINTED = {"triggerType": "SYNC_HOOK", "triggerName": "token_minted"}


def test_add_is_idempotent_and_remove_of_an_absent_trigger_succeeds(org: Org) -> None:
    webhook = create(org)
    client = org.client()

    first = client.data(ADD, id=webhook["id"], trigger=PERSON_CREATED)["addTrigger"]
    again = client.data(ADD, id=webhook["id"], trigger=PERSON_CREATED)["addTrigger"]
    client.data(ADD, id=webhook["id"], trigger=TOKEN_MINTED)
    removed = client.data(REMOVE, id=webhook["id"], trigger=PERSON_CREATED)["removeTrigger"]
    absent = client.data(REMOVE, id=webhook["id"], trigger=PERSON_CREATED)["removeTrigger"]

    assert first["triggers"] == again["triggers"] == [PERSON_CREATED]
    assert removed["triggers"] == absent["triggers"] == [TOKEN_MINTED]
    assert client.data(TRIGGERS, id=webhook["id"])["triggers"] == [TOKEN_MINTED]


def test_unknown_names_and_names_under_the_wrong_type_are_refused(org: Org) -> None:
    webhook = create(org)
    cases = [
        {"triggerType": "EVENT", "triggerName": "NoSuchEvent_v1"},
        {"triggerType": "SYNC_HOOK", "triggerName": "PersonCreated_v1"},
        {"triggerType": "EVENT", "triggerName": "token_minted"},
        {"triggerType": "EVENT", "triggerName": "personcreated_v1"},
    ]
    for trigger in cases:
        result = org.client().data(ADD, id=webhook["id"], trigger=trigger)["addTrigger"]
        assert (result["__typename"], result["code"], result["field"]) == (
            "ValidationError",
            "UNKNOWN_TRIGGER",
            "trigger",
        ), trigger
    assert org.client().data(TRIGGERS, id=webhook["id"])["triggers"] == []


def test_triggers_of_another_organizations_webhook_are_not_found(org: Org, other_org: Org) -> None:
    theirs = create(other_org)
    org_client = org.client()

    added = org_client.data(ADD, id=theirs["id"], trigger=PERSON_CREATED)["addTrigger"]

    assert added["__typename"] == "NotFoundError"
    assert org_client.data(TRIGGERS, id=theirs["id"])["triggers"] == []
    assert other_org.client().data(TRIGGERS, id=theirs["id"])["triggers"] == []


def test_event_types_lists_the_catalog(org: Org) -> None:
    everything = org.client().data(EVENT_TYPES)["eventTypes"]
    sync_hooks = org.client().data(EVENT_TYPES, type="SYNC_HOOK")["eventTypes"]

    events = [e for e in everything if e["triggerType"] == "EVENT"]
    assert len(events) == 52
    assert [h["name"] for h in sync_hooks] == [
        "token_minted",
        "identify_user",
        "threat_detection",
        "posture_detection",
    ]
    person_created = next(e for e in events if e["name"] == "PersonCreated_v1")
    assert {f["name"] for f in person_created["fields"]} >= {"event_metadata", "person_id"}
