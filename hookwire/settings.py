"""One frozen settings object, read from the environment (and an optional .env) once."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.fernet import Fernet
from dotenv import load_dotenv

from hookwire.domain.go_duration import parse_go_duration

log = logging.getLogger(__name__)

DEFAULT_RETRY_SCHEDULE = "5s,5m,30m,2h,5h,10h,10h"
SECRET_KEYS_FILE = ".hookwire-secret-keys"


class SettingsError(ValueError):
    """A setting has a value Hookwire cannot use; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite://hookwire.db"
    redis_url: str | None = None
    secret_keys: tuple[str, ...] = ()
    issuer: str | None = None
    env: str = "development"
    retry_schedule: tuple[float, ...] = (5, 300, 1800, 7200, 18000, 36000, 36000)
    allowed_networks: tuple[str, ...] = ()
    resolve: dict[str, str] = field(default_factory=dict)
    ca_bundle: str | None = None
    delivery_lease: float = 90.0
    sender_processes: int = 0
    key_publish_delay: float = 3600.0
    key_retire_margin: float = 86400.0
    allowed_origins: tuple[str, ...] = ()
    host: str = "127.0.0.1"
    port: int = 8000

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def jwt_issuer(self) -> str:
        return self.issuer or f"http://{self.host}:{self.port}"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: object) -> Settings:
        """Read HOOKWIRE_* variables; a .env file in the working directory is read first."""
        if environ is None:
            load_dotenv(override=False)
            environ = dict(os.environ)
        values: dict[str, object] = {
            "database_url": environ.get("HOOKWIRE_DATABASE_URL", cls.database_url),
            "redis_url": environ.get("HOOKWIRE_REDIS_URL") or None,
            "issuer": environ.get("HOOKWIRE_ISSUER") or None,
            "env": environ.get("HOOKWIRE_ENV", "development"),
            "retry_schedule": _durations(
                "HOOKWIRE_RETRY_SCHEDULE",
                environ.get("HOOKWIRE_RETRY_SCHEDULE", DEFAULT_RETRY_SCHEDULE),
            ),
            "allowed_networks": _csv(environ.get("HOOKWIRE_ALLOWED_NETWORKS", "")),
            "resolve": _resolve_map(environ.get("HOOKWIRE_RESOLVE", "")),
            "ca_bundle": environ.get("HOOKWIRE_CA_BUNDLE") or None,
            "delivery_lease": _seconds(
                "HOOKWIRE_DELIVERY_LEASE", environ.get("HOOKWIRE_DELIVERY_LEASE", "90s")
            ),
            "sender_processes": _count(
                "HOOKWIRE_SENDER_PROCESSES", environ.get("HOOKWIRE_SENDER_PROCESSES") or "0", 64
            ),
            "key_publish_delay": _seconds(
                "HOOKWIRE_KEY_PUBLISH_DELAY", environ.get("HOOKWIRE_KEY_PUBLISH_DELAY", "1h")
            ),
            "key_retire_margin": _seconds(
                "HOOKWIRE_KEY_RETIRE_MARGIN", environ.get("HOOKWIRE_KEY_RETIRE_MARGIN", "24h")
            ),
            "allowed_origins": _csv(environ.get("HOOKWIRE_ALLOWED_ORIGINS", "")),
        }
        values.update(overrides)
        if "secret_keys" not in values:
            raw_keys = environ.get("HOOKWIRE_SECRET_KEYS", "")
            values["secret_keys"] = _csv(raw_keys) if raw_keys else _local_secret_keys()
        if values["env"] not in ("development", "production", "test"):
            raise SettingsError("HOOKWIRE_ENV must be development, production or test")
        return cls(**values)  # type: ignore[arg-type]


def _csv(raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def _seconds(name: str, raw: str) -> float:
    try:
        return parse_go_duration(raw.strip()) / 1e9
    except ValueError as exc:
        raise SettingsError(f"{name}: {exc}") from None


def _count(name: str, raw: str, most: int) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        value = -1
    if not 0 <= value <= most:
        raise SettingsError(f"{name} must be a whole number from 0 to {most}, got {raw!r}")
    return value


def _durations(name: str, raw: str) -> tuple[float, ...]:
    delays = tuple(_seconds(name, part) for part in _csv(raw))
    if not delays or any(d < 0 for d in delays):
        raise SettingsError(f"{name} must be a comma-separated list of non-negative durations")
    return delays


def _resolve_map(raw: str) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for entry in _csv(raw):
        host, sep, address = entry.partition("=")
        if not sep or not host or not address:
            raise SettingsError(f"HOOKWIRE_RESOLVE entries are host=ip, got {entry!r}")
        mapping[host.strip().lower().rstrip(".")] = address.strip()
    return mapping


def _local_secret_keys() -> tuple[str, ...]:
    """Development fallback: a master key generated once into a local file."""
    path = Path(SECRET_KEYS_FILE)
    if not path.exists():
        log.warning(
            "HOOKWIRE_SECRET_KEYS is unset: generated a master key into %s. "
            "Set HOOKWIRE_SECRET_KEYS in production and keep it safe.",
            path.resolve(),
        )
        path.touch(mode=0o600)
        path.write_text(Fernet.generate_key().decode() + "\n")
    return _csv(path.read_text().replace("\n", ","))
