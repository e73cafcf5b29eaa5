"""The catalog of triggers: 52 events and 4 sync hooks, with their documented fields.

Names, trigger types, enums and the confirmed fields come from `event_catalog.json` (a
copy of the product's `events.json`). Descriptions, and the fields Hookwire chose for
events whose fields SlashID has not published, come from `event_fields.json`.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from hookwire.domain.errors import RuleViolation

EVENT = "event"
SYNC_HOOK = "sync_hook"
TRIGGER_TYPES = (EVENT, SYNC_HOOK)
_API_SPELLING = {EVENT: "EVENT", SYNC_HOOK: "SYNC_HOOK"}


class UnknownTrigger(RuleViolation):
    """A trigger name that the catalog does not list under the given trigger type."""

    code = "UNKNOWN_TRIGGER"


class UnknownEvent(RuleViolation):
    """A name that is not an event (trigger type "event") of the catalog."""

    code = "UNKNOWN_EVENT"


@dataclass(frozen=True)
class EventField:
    """One top-level field of an event's or a sync hook's content."""

    name: str
    type: str
    description: str


@dataclass(frozen=True)
class EventType:
    """An event or a sync hook of the catalog."""

    name: str
    trigger_type: str
    description: str
    fields: tuple[EventField, ...]


def _load(file_name: str) -> dict[str, Any]:
    text = resources.files(__package__ or "hookwire.domain").joinpath(file_name)
    data: dict[str, Any] = json.loads(text.read_text(encoding="utf-8"))
    return data


_CATALOG = _load("event_catalog.json")
_DOCS = _load("event_fields.json")

FACTOR_METHODS: tuple[str, ...] = tuple(_CATALOG["enums"]["FactorMethod"])
PERSON_HANDLE_TYPES: Mapping[str, int] = dict(_CATALOG["enums"]["PersonHandleType"])
EVENT_SOURCES: Mapping[str, int] = dict(_CATALOG["enums"]["EventSource"])
PASSWORD_CHANGE_INITIATORS: Mapping[str, int] = dict(_CATALOG["enums"]["PasswordChangeInitiator"])


def _event(entry: Mapping[str, Any]) -> EventType:
    name: str = entry["name"]
    docs: Mapping[str, Any] = _DOCS["events"][name]
    library: Mapping[str, Mapping[str, str]] = _DOCS["fields"]
    meta = _DOCS["event_metadata"]
    fields = [EventField("event_metadata", meta["type"], meta["description"])]
    for block in entry["known_blocks"]:
        info = _DOCS["blocks"][block]
        fields.append(EventField(block, info["type"], info["description"]))
    if entry["fields_confirmed"]:
        for field, type_ in entry["known_fields"].items():
            fields.append(EventField(field, type_, library[field]["description"]))
    else:
        note = _DOCS["hookwire_choice_note"]
        for field in docs["fields"]:
            info = library[field]
            fields.append(EventField(field, info["type"], f"{info['description']} {note}"))
    return EventType(name, EVENT, docs["description"], tuple(fields))


def _sync_hook(entry: Mapping[str, Any]) -> EventType:
    name: str = entry["name"]
    docs: Mapping[str, str] = _DOCS["sync_hook_fields"].get(name, {})
    fields = tuple(
        EventField(field, type_, docs[field]) for field, type_ in entry["content_fields"].items()
    )
    return EventType(name, SYNC_HOOK, entry["description"], fields)


EVENT_TYPES: tuple[EventType, ...] = tuple(
    [_event(entry) for entry in _CATALOG["events"]]
    + [_sync_hook(entry) for entry in _CATALOG["sync_hooks"]]
)
_BY_NAME: Mapping[str, EventType] = {et.name: et for et in EVENT_TYPES}


def _check_trigger_type(trigger_type: str) -> None:
    if trigger_type not in TRIGGER_TYPES:
        raise UnknownTrigger(f"unknown trigger type {trigger_type!r}; use 'event' or 'sync_hook'")


def _did_you_mean(name: str, trigger_type: str) -> str:
    names = [et.name for et in EVENT_TYPES if et.trigger_type == trigger_type]
    folded = [n for n in names if n.casefold() == name.casefold()]
    close = folded or difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}? " if close else ""


def event_types(trigger_type: str | None = None) -> tuple[EventType, ...]:
    """All catalog entries in catalog order, or those of one trigger type."""
    if trigger_type is None:
        return EVENT_TYPES
    _check_trigger_type(trigger_type)
    return tuple(et for et in EVENT_TYPES if et.trigger_type == trigger_type)


def check_trigger(trigger_type: str, trigger_name: str) -> None:
    """Raise UnknownTrigger unless the catalog lists trigger_name under trigger_type."""
    _check_trigger_type(trigger_type)
    found = _BY_NAME.get(trigger_name)
    wanted = _API_SPELLING[trigger_type]
    if found is not None and found.trigger_type == trigger_type:
        return
    if found is not None:
        actual = _API_SPELLING[found.trigger_type]
        raise UnknownTrigger(
            f"{trigger_name!r} is a trigger of type {actual}, not {wanted}; "
            f"add it with triggerType {actual}"
        )
    raise UnknownTrigger(
        f"{trigger_name!r} is not a known {wanted} trigger; "
        f"{_did_you_mean(trigger_name, trigger_type)}"
        f"the eventTypes query lists every {wanted} name"
    )


def event_type(name: str) -> EventType:
    """The catalog entry of the event called name; UnknownEvent for anything else."""
    found = _BY_NAME.get(name)
    if found is not None and found.trigger_type == EVENT:
        return found
    if found is not None:
        raise UnknownEvent(
            f"{name!r} is a sync hook, not an event; call it with invokeSyncHook instead"
        )
    raise UnknownEvent(
        f"{name!r} is not a known event; {_did_you_mean(name, EVENT)}"
        "the eventTypes query lists every event name"
    )
