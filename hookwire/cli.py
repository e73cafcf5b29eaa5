"""The `hookwire` command."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from hookwire.domain.access import Role
from hookwire.domain.errors import RuleViolation
from hookwire.domain.master_keys import MasterKeyError, MasterKeyRing
from hookwire.models import Organization
from hookwire.models.database import apply_migrations, close_database, open_database
from hookwire.settings import Settings, SettingsError


class CommandError(Exception):
    """Bad input to a command: printed as one line, exit status 1."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hookwire", description="Hookwire webhooks service.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the API (and the delivery worker)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--no-worker", action="store_true", help="API only, no delivery worker")

    commands.add_parser("worker", help="run the delivery worker alone (scale-out)")
    commands.add_parser("migrate", help="apply pending database migrations")
    commands.add_parser("export-schema", help="print the GraphQL schema (SDL)")

    org = commands.add_parser("org", help="organizations").add_subparsers(
        dest="action", required=True
    )
    org_create = org.add_parser("create", help="new organization, first ADMIN key and signing key")
    org_create.add_argument("name")
    org_create.add_argument("--json", action="store_true")

    apikey = commands.add_parser("apikey", help="API keys").add_subparsers(
        dest="action", required=True
    )
    apikey_create = apikey.add_parser("create", help="another API key for an organization")
    apikey_create.add_argument("--org", required=True)
    apikey_create.add_argument("--role", choices=["admin", "member"], default="admin")
    apikey_create.add_argument("--json", action="store_true")

    keys = commands.add_parser("keys", help="signing keys").add_subparsers(
        dest="action", required=True
    )
    keys_rotate = keys.add_parser("rotate", help="rotate an organization's signing key")
    keys_rotate.add_argument("--org", required=True)
    keys_rotate.add_argument("--json", action="store_true")

    secrets = commands.add_parser("secrets", help="stored secrets").add_subparsers(
        dest="action", required=True
    )
    reencrypt = secrets.add_parser(
        "reencrypt", help="re-encrypt stored secrets with the first HOOKWIRE_SECRET_KEYS key"
    )
    reencrypt.add_argument("--json", action="store_true")
    return parser


async def _with_database(settings: Settings, work: Callable[[], Awaitable[Any]]) -> Any:
    await open_database(settings.database_url)
    try:
        return await work()
    finally:
        await close_database()


async def _organization(raw_id: str) -> uuid.UUID:
    try:
        organization_id = uuid.UUID(raw_id)
    except ValueError:
        raise CommandError(f"--org must be an organization id (a UUID), got {raw_id!r}") from None
    if not await Organization.exists(id=organization_id):
        raise CommandError(f"no organization {organization_id}")
    return organization_id


def _print(args: argparse.Namespace, payload: dict[str, Any], text: str) -> None:
    print(json.dumps(payload) if getattr(args, "json", False) else text)


async def _org_create(args: argparse.Namespace, settings: Settings) -> None:
    from hookwire.services.organizations import create_organization

    created = await create_organization(args.name, MasterKeyRing(settings.secret_keys))
    org_id = str(created.organization.id)
    _print(
        args,
        {"organization_id": org_id, "api_key": created.api_key},
        f"organization {org_id}\nADMIN API key (shown once): {created.api_key}",
    )


async def _apikey_create(args: argparse.Namespace, settings: Settings) -> None:
    from hookwire.services.access import create_api_key

    organization_id = await _organization(args.org)
    api_key = await create_api_key(organization_id, Role(args.role))
    _print(args, {"api_key": api_key}, f"{args.role.upper()} API key (shown once): {api_key}")


async def _keys_rotate(args: argparse.Namespace, settings: Settings) -> None:
    from hookwire.runtime import Runtime
    from hookwire.services.signing_keys import rotate_signing_key

    runtime = Runtime.create(settings)
    organization_id = await _organization(args.org)
    key = await rotate_signing_key(
        organization_id, runtime.key_ring, runtime.key_publish_delay, runtime.key_retire_margin
    )
    activates = key.activates_at.isoformat()
    _print(
        args,
        {"kid": key.kid, "activates_at": activates},
        f"new signing key {key.kid}: published now, signs from {activates}",
    )


async def _secrets_reencrypt(args: argparse.Namespace, settings: Settings) -> None:
    from hookwire.services.master_key_rotation import reencrypt_secrets

    done = await reencrypt_secrets(MasterKeyRing(settings.secret_keys))
    _print(
        args,
        {"webhooks": done.webhooks, "signing_keys": done.signing_keys},
        f"re-encrypted the custom headers of {done.webhooks} webhooks "
        f"and {done.signing_keys} signing keys with the first master key",
    )


def _serve(args: argparse.Namespace, settings: Settings) -> None:
    import uvicorn

    from hookwire.app import create_app

    settings = Settings.from_env(host=args.host, port=args.port)
    app = create_app(settings, run_worker=not args.no_worker)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")


async def _worker(settings: Settings) -> None:
    """The worker alone, until SIGTERM or SIGINT; in-flight attempts finish first."""
    from hookwire.app import running_worker
    from hookwire.runtime import Runtime

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    runtime = Runtime.create(settings)
    await open_database(settings.database_url)
    await runtime.start()
    try:
        async with running_worker(runtime):
            print("worker running; SIGTERM stops it", flush=True)
            await stop.wait()
    finally:
        await runtime.close()
        await close_database()


def _run_on_fastest_loop(main: Coroutine[Any, Any, None]) -> None:
    """Run on uvloop when it is installed, as uvicorn runs `serve` (and its worker) on it."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvicorn[standard] installs it
        asyncio.run(main)
        return
    uvloop.run(main)


def run(argv: list[str]) -> None:
    args = _parser().parse_args(argv)
    if args.command == "export-schema":
        from hookwire.schema.schema import export_sdl

        sys.stdout.write(export_sdl())
        return
    settings = Settings.from_env()
    if args.command == "serve":
        _serve(args, settings)
    elif args.command == "worker":
        _run_on_fastest_loop(_worker(settings))
    elif args.command == "migrate":
        asyncio.run(apply_migrations(settings.database_url))
        print("migrations applied")
    else:
        action = {
            ("org", "create"): _org_create,
            ("apikey", "create"): _apikey_create,
            ("keys", "rotate"): _keys_rotate,
            ("secrets", "reencrypt"): _secrets_reencrypt,
        }[(args.command, args.action)]
        asyncio.run(_with_database(settings, lambda: action(args, settings)))


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        run(sys.argv[1:] if argv is None else argv)
    except (CommandError, RuleViolation, SettingsError, MasterKeyError) as error:
        print(f"hookwire: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
