"""A Node receiver verifies deliveries with jose's remote JWKS (§5, §7)."""

from __future__ import annotations

import base64
import json
from typing import Any

from tests.support.delivery import emit, hook_to, unique_path
from tests.support.node import NodeScripts
from tests.support.receiver import Receiver
from tests.support.server import Org, ServerThread

JWKS_PATH = "/organizations/webhooks/verification-jwks"


def delivered_token(org: Org, receiver: Receiver) -> tuple[dict[str, Any], dict[str, Any], str]:
    """A webhook, an event, and the JWT the receiver got for it."""
    path = unique_path()
    webhook = hook_to(org, receiver, path)
    event = emit(org)
    (request,) = receiver.wait_for(1, path)
    return webhook, event, request.body.decode()


def verify(
    node_scripts: NodeScripts, server: ServerThread, org_id: str, token: str
) -> tuple[int, dict[str, Any] | None, str]:
    done = node_scripts.run("verify.mjs", server.url + JWKS_PATH, org_id, token, timeout=30)
    claims = json.loads(done.stdout) if done.returncode == 0 else None
    return done.returncode, claims, done.stderr


def with_claim(token: str, name: str, value: object) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims[name] = value
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def test_jose_verifies_a_delivered_jwt_against_the_jwks_endpoint(
    node_scripts: NodeScripts, server: ServerThread, org: Org, receiver: Receiver
) -> None:
    webhook, event, token = delivered_token(org, receiver)

    code, claims, stderr = verify(node_scripts, server, org.id, token)

    assert code == 0, stderr
    assert claims is not None
    assert (claims["aud"], claims["sub"], claims["iss"]) == (
        org.id,
        event["id"],
        server.settings.jwt_issuer,
    )
    assert (claims["webhook_id"], claims["target_url"]) == (webhook["id"], webhook["targetUrl"])
    assert (claims["trigger_type"], claims["trigger_name"]) == ("event", "PersonCreated_v1")
    assert claims["trigger_content"] == event["content"]


def test_jose_refuses_a_tampered_jwt(
    node_scripts: NodeScripts, server: ServerThread, org: Org, receiver: Receiver
) -> None:
    _, _, token = delivered_token(org, receiver)

    code, _, stderr = verify(node_scripts, server, org.id, with_claim(token, "sub", "forged"))

    assert code == 1
    assert "ERR_JWS_SIGNATURE_VERIFICATION_FAILED" in stderr


def test_jose_finds_no_key_in_another_organizations_key_set(
    node_scripts: NodeScripts, server: ServerThread, org: Org, other_org: Org, receiver: Receiver
) -> None:
    _, _, token = delivered_token(org, receiver)

    code, _, stderr = verify(node_scripts, server, other_org.id, token)

    assert code == 1
    assert "ERR_JWKS_NO_MATCHING_KEY" in stderr
