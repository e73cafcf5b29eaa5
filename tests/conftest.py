from __future__ import annotations

from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet

from hookwire.domain.go_duration import parse_go_duration
from hookwire.settings import Settings
from tests.support.postgres import fresh_database
from tests.support.receiver import Receiver
from tests.support.server import Org, ServerThread, free_port, new_org


def test_settings(database_url: str, **overrides: object) -> Settings:
    return Settings.from_env(
        {"HOOKWIRE_DATABASE_URL": database_url, "HOOKWIRE_ENV": "test"},
        secret_keys=(Fernet.generate_key().decode(),),
        port=free_port(),
        **overrides,
    )


# Delivery tests resolve these names to loopback; only 127.0.0.1 is on the allow list, so
# the other loopback and private answers show the SSRF block.
BLOCKED_HOSTS = {
    "loopback.test": "127.0.0.2",
    "private.test": "10.1.2.3",
    "metadata.test": "169.254.169.254",
    "mapped.test": "::ffff:127.0.0.1",
    "v6-loopback.test": "::1",
}
FAST_RETRIES = "100ms,200ms,300ms"


@pytest.fixture(scope="session")
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory, receiver: Receiver) -> Iterator[ServerThread]:
    with fresh_database(tmp_path_factory.mktemp("db")) as database_url:
        settings = test_settings(
            database_url,
            allowed_networks=("127.0.0.1/32",),
            resolve={**receiver.resolve, **BLOCKED_HOSTS},
            ca_bundle=receiver.ca_bundle_path,
            retry_schedule=tuple(parse_go_duration(d) / 1e9 for d in FAST_RETRIES.split(",")),
        )
        thread = ServerThread(settings).start()
        yield thread
        thread.stop()


@pytest.fixture
def org(server: ServerThread) -> Org:
    return new_org(server)


@pytest.fixture
def other_org(server: ServerThread) -> Org:
    return new_org(server, "Globex")
