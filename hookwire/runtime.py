"""What a running Hookwire process holds: settings, the master key ring, rate limits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from hookwire.domain.master_keys import MasterKeyRing
from hookwire.services.rate_limits import RateLimits
from hookwire.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    key_ring: MasterKeyRing
    rate_limits: RateLimits

    @classmethod
    def create(cls, settings: Settings) -> Runtime:
        return cls(
            settings=settings,
            key_ring=MasterKeyRing(settings.secret_keys),
            rate_limits=RateLimits(settings.redis_url),
        )

    @property
    def key_publish_delay(self) -> timedelta:
        return timedelta(seconds=self.settings.key_publish_delay)

    @property
    def key_retire_margin(self) -> timedelta:
        return timedelta(seconds=self.settings.key_retire_margin)
