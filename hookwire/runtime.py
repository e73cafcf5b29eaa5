"""What a running Hookwire process holds: settings, keys, limits, the bus and the transport."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from hookwire import __version__
from hookwire.delivery.bus import Bus, bus_for
from hookwire.delivery.senders import ProcessTransport
from hookwire.delivery.signers import SignerCache
from hookwire.delivery.transport import Sender, Transport
from hookwire.domain.master_keys import MasterKeyRing
from hookwire.domain.retry_policy import attempt_budget
from hookwire.services.rate_limits import RateLimits
from hookwire.settings import Settings


def _no_worker() -> None:
    return None


@dataclass
class Runtime:
    settings: Settings
    key_ring: MasterKeyRing
    rate_limits: RateLimits
    bus: Bus
    transport: Transport  # this process's own: sync hooks, and deliveries by default
    signers: SignerCache
    # What the worker sends deliveries through: `transport`, or sender processes
    # (HOOKWIRE_SENDER_PROCESSES).
    delivery_transport: Sender
    # Called after deliveries are committed, so an in-process worker starts at once.
    wake_worker: Callable[[], None] = field(default=_no_worker)

    @classmethod
    def create(cls, settings: Settings) -> Runtime:
        key_ring = MasterKeyRing(settings.secret_keys)
        user_agent = f"Hookwire/{__version__}"
        transport = Transport(
            allowed_networks=settings.allowed_networks,
            resolve=settings.resolve,
            ca_bundle=settings.ca_bundle,
            user_agent=user_agent,
        )
        delivery_transport: Sender = transport
        if settings.sender_processes:
            delivery_transport = ProcessTransport(
                settings.sender_processes,
                allowed_networks=settings.allowed_networks,
                resolve=settings.resolve,
                ca_bundle=settings.ca_bundle,
                user_agent=user_agent,
            )
        return cls(
            settings=settings,
            key_ring=key_ring,
            signers=SignerCache(key_ring),
            rate_limits=RateLimits(settings.redis_url),
            bus=bus_for(settings.redis_url),
            transport=transport,
            delivery_transport=delivery_transport,
        )

    @property
    def key_publish_delay(self) -> timedelta:
        return timedelta(seconds=self.settings.key_publish_delay)

    @property
    def key_retire_margin(self) -> timedelta:
        return timedelta(seconds=self.settings.key_retire_margin)

    @property
    def attempt_budget(self) -> int:
        return attempt_budget(self.settings.retry_schedule)

    async def start(self) -> None:
        """Connect what needs a running event loop (the Redis listener)."""
        await self.bus.start()

    async def close(self) -> None:
        await self.bus.close()
        if self.delivery_transport is not self.transport:
            await self.delivery_transport.close()
        await self.transport.close()
