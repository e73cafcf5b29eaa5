"""Who is calling, and what their role allows."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass


class Role(enum.Enum):
    ADMIN = "admin"
    MEMBER = "member"


@dataclass(frozen=True)
class Caller:
    """An authenticated API key: its organization and role."""

    organization_id: uuid.UUID
    role: Role

    @property
    def can_write(self) -> bool:
        return self.role is Role.ADMIN
