"""The JWKS endpoint, key rotation, and a JWT verified the way SlashID's docs verify it."""

from __future__ import annotations

import time
import uuid

import httpx
import jwt
import pytest

from tests.support.server import Org, ServerThread

PATH = "/organizations/webhooks/verification-jwks"
ROTATE = "mutation { rotateSigningKey { signingKeys { kid status activatesAt retiresAt } } }"


def jwks(server: ServerThread, org_id: str | None, **headers: str) -> httpx.Response:
    if org_id is not None:
        headers["SlashID-OrgID"] = org_id
    return httpx.get(server.url + PATH, headers=headers)


def test_answers_a_bare_public_jwks_with_cache_headers(server: ServerThread, org: Org) -> None:
    response = jwks(server, org.id)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert "max-age" in response.headers["cache-control"]
    (key,) = response.json()["keys"]
    assert set(key) == {"kty", "crv", "x", "y", "kid", "alg", "use", "key_ops"}
    assert (key["kty"], key["crv"], key["alg"], key["use"], key["key_ops"]) == (
        "EC",
        "P-256",
        "ES256",
        "sig",
        ["verify"],
    )
    again = jwks(server, org.id, **{"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304


def test_errors_use_slashids_envelope(server: ServerThread) -> None:
    missing = jwks(server, None)
    unknown = jwks(server, str(uuid.uuid4()))
    garbage = jwks(server, "not-an-id")

    assert missing.status_code == 400
    assert missing.json()["errors"][0]["httpcode"] == 400
    assert unknown.status_code == 404 and garbage.status_code == 404
    assert unknown.json() == {
        "errors": [{"httpcode": 404, "message": unknown.json()["errors"][0]["message"]}]
    }


def test_rate_limit_is_per_organization_with_retry_after(
    server: ServerThread, org: Org, other_org: Org
) -> None:
    statuses = [jwks(server, org.id).status_code for _ in range(61)]
    limited = jwks(server, org.id)

    assert statuses[:60] == [200] * 60
    assert statuses[60] == 429 and limited.status_code == 429
    assert int(limited.headers["retry-after"]) > 0
    assert limited.json()["errors"][0]["httpcode"] == 429
    assert jwks(server, other_org.id).status_code == 200


def test_a_jwt_signed_with_the_active_key_verifies_with_pyjwkclient(
    server: ServerThread, org: Org
) -> None:
    signer = server.run(server.runtime.signers.signer_for(uuid.UUID(org.id)))
    now = int(time.time())
    token = signer.sign(
        {"iss": "hookwire", "aud": org.id, "sub": "evt", "iat": now, "exp": now + 60}
    )

    # SlashID's recipe, unchanged except for the URL and header.
    client = jwt.PyJWKClient(server.url + PATH, headers={"SlashID-OrgID": org.id})
    signing_key = client.get_signing_key_from_jwt(token)
    claims = jwt.decode(token, signing_key.key, algorithms=["ES256"], audience=org.id)

    assert claims["sub"] == "evt"
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(tampered, signing_key.key, algorithms=["ES256"], audience=org.id)


def test_rotation_publishes_the_new_key_at_once_but_signs_with_the_old_one(
    server: ServerThread, org: Org
) -> None:
    before = server.run(server.runtime.signers.signer_for(uuid.UUID(org.id))).kid

    keys = org.client().data(ROTATE)["rotateSigningKey"]["signingKeys"]

    assert [k["status"] for k in keys] == ["ACTIVE", "PENDING"]
    old, new = keys
    assert old["kid"] == before and old["retiresAt"] is not None
    assert old["retiresAt"] > new["activatesAt"]
    published = {k["kid"] for k in jwks(server, org.id).json()["keys"]}
    assert published == {old["kid"], new["kid"]}
    assert server.run(server.runtime.signers.signer_for(uuid.UUID(org.id))).kid == before
