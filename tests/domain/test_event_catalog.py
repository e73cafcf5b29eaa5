"""The trigger catalog: 52 events and 4 sync hooks, their fields and trigger checks."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

import hookwire.domain.event_catalog as catalog_module
from hookwire.domain.errors import RuleViolation
from hookwire.domain.event_catalog import (
    EVENT_TYPES,
    EventField,
    EventType,
    UnknownEvent,
    UnknownTrigger,
    check_trigger,
    event_type,
    event_types,
)

_DOMAIN = Path(catalog_module.__file__).parent
CATALOG: dict[str, Any] = json.loads((_DOMAIN / "event_catalog.json").read_text("utf-8"))
DOCS: dict[str, Any] = json.loads((_DOMAIN / "event_fields.json").read_text("utf-8"))
EVENT_NAMES = [entry["name"] for entry in CATALOG["events"]]
SYNC_HOOK_NAMES = ["token_minted", "identify_user", "threat_detection", "posture_detection"]
CONFIRMED = {entry["name"]: entry for entry in CATALOG["events"] if entry["fields_confirmed"]}
UNCONFIRMED = [entry["name"] for entry in CATALOG["events"] if not entry["fields_confirmed"]]


def test_the_catalog_has_52_events_then_4_sync_hooks_in_catalog_order() -> None:
    assert len(EVENT_NAMES) == 52
    assert [et.name for et in EVENT_TYPES] == EVENT_NAMES + SYNC_HOOK_NAMES
    assert [et.trigger_type for et in EVENT_TYPES] == ["event"] * 52 + ["sync_hook"] * 4


def test_event_types_filters_by_trigger_type() -> None:
    assert event_types() == EVENT_TYPES
    assert event_types(None) == EVENT_TYPES
    assert [et.name for et in event_types("event")] == EVENT_NAMES
    assert [et.name for et in event_types("sync_hook")] == SYNC_HOOK_NAMES


@pytest.mark.parametrize("trigger_type", ["EVENT", "webhook", ""])
def test_event_types_refuses_an_unknown_trigger_type(trigger_type: str) -> None:
    with pytest.raises(UnknownTrigger, match="use 'event' or 'sync_hook'"):
        event_types(trigger_type)


def test_entries_are_frozen() -> None:
    entry = EVENT_TYPES[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        entry.name = "changed"  # type: ignore[misc]
    assert isinstance(entry.fields, tuple)
    assert all(isinstance(field, EventField) for field in entry.fields)


@pytest.mark.parametrize("name", EVENT_NAMES)
def test_every_event_is_documented(name: str) -> None:
    # when
    et = event_type(name)
    # then
    names = [field.name for field in et.fields]
    assert et.description
    assert names[0] == "event_metadata"
    assert et.fields[0].type == "EventMetadata"
    assert len(names) >= 2, "every event has at least one field besides event_metadata"
    assert len(set(names)) == len(names)
    assert all(field.type and field.description for field in et.fields)


@pytest.mark.parametrize("name", sorted(CONFIRMED))
def test_confirmed_events_list_the_catalog_fields_with_its_types(name: str) -> None:
    # given
    entry = CONFIRMED[name]
    # when
    fields = event_type(name).fields
    # then
    expected = [("event_metadata", "EventMetadata")]
    expected += [(block, DOCS["blocks"][block]["type"]) for block in entry["known_blocks"]]
    expected += list(entry["known_fields"].items())
    assert [(field.name, field.type) for field in fields] == expected
    assert not any("Hookwire's choice" in field.description for field in fields)


def test_blocks_have_their_own_types() -> None:
    fields = {field.name: field for field in event_type("AuthenticationSucceeded_v1").fields}
    assert fields["analytics_metadata"].type == "AnalyticsMetadata"
    assert fields["browser_metadata"].type == "BrowserMetadata"
    assert "client_ip_address" in fields["analytics_metadata"].description
    assert "user_agent" in fields["browser_metadata"].description


@pytest.mark.parametrize("name", UNCONFIRMED)
def test_chosen_fields_are_marked_as_hookwires_choice(name: str) -> None:
    fields = event_type(name).fields[1:]
    assert fields
    assert all(field.description.endswith(DOCS["hookwire_choice_note"]) for field in fields)


def test_the_field_documentation_covers_exactly_the_catalog() -> None:
    assert set(DOCS["events"]) == set(EVENT_NAMES)
    assert {name for name, docs in DOCS["events"].items() if "fields" in docs} == set(UNCONFIRMED)
    used = {field for docs in DOCS["events"].values() for field in docs.get("fields", [])}
    used |= {field for entry in CONFIRMED.values() for field in entry["known_fields"]}
    assert used == set(DOCS["fields"]), "no missing and no unused field definitions"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("TokenMinted_v1", {"person_id", "token_id"}),
        ("PermissionCreated_v1", {"permission_name"}),
        ("PermissionCreated_InRegion_v1", {"permission_name", "region"}),
        ("RoleDeleted_InRegion_v1", {"role_name", "region"}),
        ("RolesSetToPerson_v1", {"person_id", "roles"}),
        ("AWSIAMRoleCreated_v1", {"arn", "account_id", "role_name"}),
        ("GCPServiceAccountCreated_v1", {"service_account_email", "project_id"}),
        ("ActiveDirectorySPNCreated_v1", {"tenant_id", "object_id"}),
        ("GateServerStarted_v1", {"gate_version", "instance_id"}),
    ],
)
def test_chosen_fields_are_plausible(name: str, expected: set[str]) -> None:
    assert expected <= {field.name for field in event_type(name).fields}


def test_every_in_region_event_names_its_region() -> None:
    for et in event_types("event"):
        if "_InRegion_" in et.name:
            assert "region" in {field.name for field in et.fields}, et.name


def test_sync_hooks_take_their_description_and_fields_from_the_catalog() -> None:
    # given
    entries = {entry["name"]: entry for entry in CATALOG["sync_hooks"]}
    for et in event_types("sync_hook"):
        # then
        assert et.description == entries[et.name]["description"]
        assert [(f.name, f.type) for f in et.fields] == list(
            entries[et.name]["content_fields"].items()
        )
        assert all(field.description for field in et.fields)
    token_minted = next(et for et in EVENT_TYPES if et.name == "token_minted")
    assert {"aud", "sub", "iss", "authentications", "request_metadata"} <= {
        field.name for field in token_minted.fields
    }


@pytest.mark.parametrize(
    ("trigger_type", "name"),
    [("event", name) for name in EVENT_NAMES] + [("sync_hook", name) for name in SYNC_HOOK_NAMES],
)
def test_check_trigger_accepts_every_catalog_trigger(trigger_type: str, name: str) -> None:
    check_trigger(trigger_type, name)


@pytest.mark.parametrize(
    ("trigger_type", "name", "message"),
    [
        (
            "event",
            "token_minted",
            "'token_minted' is a trigger of type SYNC_HOOK, not EVENT; "
            "add it with triggerType SYNC_HOOK",
        ),
        ("sync_hook", "PersonCreated_v1", "add it with triggerType EVENT"),
        ("event", "PersonCreated", "did you mean 'PersonCreated_v1'?"),
        ("event", "personcreated_v1", "did you mean 'PersonCreated_v1'?"),
        ("sync_hook", "token-minted", "did you mean 'token_minted'?"),
        ("event", "Nothing", "'Nothing' is not a known EVENT trigger; the eventTypes query"),
        ("event", "", "'' is not a known EVENT trigger"),
        ("EVENT", "PersonCreated_v1", "unknown trigger type 'EVENT'"),
    ],
)
def test_check_trigger_refuses_with_a_hint(trigger_type: str, name: str, message: str) -> None:
    with pytest.raises(UnknownTrigger) as caught:
        check_trigger(trigger_type, name)
    assert message in caught.value.message
    assert caught.value.code == "UNKNOWN_TRIGGER"


def test_event_type_returns_the_catalog_entry() -> None:
    et = event_type("PersonCreated_v1")
    assert isinstance(et, EventType)
    assert et.trigger_type == "event"
    assert [field.name for field in et.fields] == ["event_metadata", "person_id"]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "token_minted",
            "'token_minted' is a sync hook, not an event; call it with invokeSyncHook",
        ),
        ("PersonCreated", "did you mean 'PersonCreated_v1'?"),
        ("Unheard_v1", "'Unheard_v1' is not a known event; the eventTypes query"),
    ],
)
def test_event_type_refuses_anything_but_an_event(name: str, message: str) -> None:
    with pytest.raises(UnknownEvent) as caught:
        event_type(name)
    assert message in caught.value.message
    assert caught.value.code == "UNKNOWN_EVENT"


def test_errors_are_rule_violations() -> None:
    assert issubclass(UnknownTrigger, RuleViolation)
    assert issubclass(UnknownEvent, RuleViolation)
