"""The catalog of events and sync hooks that triggers can name."""

from __future__ import annotations

from hookwire.domain import event_catalog
from hookwire.schema.context import Info
from hookwire.schema.types import EventField, EventType, TriggerType


async def event_types(info: Info, trigger_type: TriggerType | None = None) -> list[EventType]:
    await info.context.reader()
    wanted = trigger_type.value if trigger_type is not None else None
    return [
        EventType(
            name=entry.name,
            trigger_type=TriggerType(entry.trigger_type),
            description=entry.description,
            fields=[
                EventField(name=f.name, type=f.type, description=f.description)
                for f in entry.fields
            ],
        )
        for entry in event_catalog.event_types(wanted)
    ]
