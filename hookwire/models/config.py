"""The Tortoise configuration for a database URL."""

from __future__ import annotations

import os
from typing import Any

MODEL_MODULES = ["hookwire.models"]


def tortoise_config(database_url: str) -> dict[str, Any]:
    """Tortoise's config dict: one app, our models, our migrations package."""
    return {
        "connections": {"default": database_url},
        "apps": {
            "models": {
                "models": MODEL_MODULES,
                "migrations": "hookwire.models.migrations",
                "default_connection": "default",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


# For Tortoise's own CLI (`python -m tortoise -c hookwire.models.config.TORTOISE_ORM
# makemigrations`), which developers use to write new migrations.
TORTOISE_ORM = tortoise_config(os.environ.get("HOOKWIRE_DATABASE_URL", "sqlite://:memory:"))
