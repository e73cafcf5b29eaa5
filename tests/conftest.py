from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from hookwire.settings import Settings
from tests.support.server import Org, ServerThread, free_port, new_org


def test_settings(database_url: str, **overrides: object) -> Settings:
    return Settings.from_env(
        {"HOOKWIRE_DATABASE_URL": database_url, "HOOKWIRE_ENV": "test"},
        secret_keys=(Fernet.generate_key().decode(),),
        port=free_port(),
        **overrides,
    )


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    database = tmp_path_factory.mktemp("db") / "hookwire.db"
    thread = ServerThread(test_settings(f"sqlite://{database}")).start()
    yield thread
    thread.stop()


@pytest.fixture
def org(server: ServerThread) -> Org:
    return new_org(server)


@pytest.fixture
def other_org(server: ServerThread) -> Org:
    return new_org(server, "Globex")


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Path:
    return tmp_path / "hookwire.db"
