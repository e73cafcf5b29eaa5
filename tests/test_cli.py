"""The `hookwire` command, run as a user runs it."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from tortoise.context import TortoiseContext

from hookwire.domain.master_keys import MasterKeyError, MasterKeyRing
from hookwire.models import SigningKey
from hookwire.models.config import tortoise_config
from tests.support.postgres import fresh_database


@pytest.fixture
def hookwire(tmp_path: Path):  # type: ignore[no-untyped-def]
    with fresh_database(tmp_path) as database_url:
        yield _runner(tmp_path, database_url)


def _runner(tmp_path: Path, database_url: str):  # type: ignore[no-untyped-def]
    env = {
        **os.environ,
        "HOOKWIRE_DATABASE_URL": database_url,
        "HOOKWIRE_SECRET_KEYS": Fernet.generate_key().decode(),
    }

    def run(*args: str, secret_keys: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "hookwire.cli", *args],
            env={**env, "HOOKWIRE_SECRET_KEYS": secret_keys or env["HOOKWIRE_SECRET_KEYS"]},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )

    run.database_url = database_url  # type: ignore[attr-defined]
    run.secret_keys = env["HOOKWIRE_SECRET_KEYS"]  # type: ignore[attr-defined]
    return run


def test_org_create_apikey_create_and_keys_rotate(hookwire) -> None:  # type: ignore[no-untyped-def]
    created = hookwire("org", "create", "Acme", "--json")
    assert created.returncode == 0, created.stderr
    org = json.loads(created.stdout)
    assert set(org) == {"organization_id", "api_key"}

    member = hookwire(
        "apikey", "create", "--org", org["organization_id"], "--role", "member", "--json"
    )
    assert member.returncode == 0, member.stderr
    assert json.loads(member.stdout)["api_key"].startswith("hwk_")

    rotated = hookwire("keys", "rotate", "--org", org["organization_id"])
    assert rotated.returncode == 0, rotated.stderr
    assert "signs from" in rotated.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("apikey", "create", "--org", "nope", "--json"),
        ("apikey", "create", "--org", "01900000-0000-7000-8000-000000000000"),
        ("keys", "rotate", "--org", "123"),
        ("org", "create", "   "),
    ],
)
def test_bad_input_exits_non_zero_with_one_line(hookwire, args: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    result = hookwire(*args)
    assert result.returncode != 0
    assert result.stderr.strip().startswith("hookwire: ")
    assert len(result.stderr.strip().splitlines()) == 1


def test_migrate_is_repeatable(hookwire) -> None:  # type: ignore[no-untyped-def]
    assert hookwire("migrate").returncode == 0
    again = hookwire("migrate")
    assert again.returncode == 0, again.stderr


def test_secrets_reencrypt_moves_stored_secrets_to_the_first_master_key(hookwire) -> None:  # type: ignore[no-untyped-def]
    old, new = hookwire.secret_keys, Fernet.generate_key().decode()
    assert hookwire("org", "create", "Acme").returncode == 0

    done = hookwire("secrets", "reencrypt", "--json", secret_keys=f"{new},{old}")

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"webhooks": 0, "signing_keys": 1}
    stored = asyncio.run(_private_keys(hookwire.database_url))
    assert MasterKeyRing([new]).decrypt(stored[0])
    with pytest.raises(MasterKeyError):
        MasterKeyRing([old]).decrypt(stored[0])


async def _private_keys(database_url: str) -> list[str]:
    async with TortoiseContext() as context:
        await context.init(config=tortoise_config(database_url))
        return list(await SigningKey.all().values_list("private_key_encrypted", flat=True))
