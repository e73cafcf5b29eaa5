"""GET /organizations/webhooks/verification-jwks: an organization's public keys, for verifiers."""

from __future__ import annotations

import hashlib
import json
import uuid

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from hookwire.models import Organization
from hookwire.runtime import Runtime
from hookwire.services.rate_limits import JWKS_LIMIT
from hookwire.services.signing_keys import published_keys

CACHE_CONTROL = "public, max-age=300, must-revalidate"


def slashid_error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """SlashID's error envelope."""
    body = {"errors": [{"httpcode": status, "message": message}]}
    return JSONResponse(body, status_code=status, headers=headers)


async def verification_jwks(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    raw_id = request.headers.get("slashid-orgid", "").strip()
    if not raw_id:
        return slashid_error(400, "the SlashID-OrgID header is required")
    try:
        organization_id = uuid.UUID(raw_id)
    except ValueError:
        return slashid_error(404, f"no organization {raw_id}")
    if not await Organization.exists(id=organization_id):
        return slashid_error(404, f"no organization {raw_id}")
    decision = await runtime.rate_limits.hit(JWKS_LIMIT, f"jwks:{organization_id}")
    if not decision.allowed:
        return slashid_error(
            429,
            "rate limit exceeded: 30 requests a minute, bursts of 60; cache the key set",
            headers={"Retry-After": str(decision.retry_after_seconds)},
        )
    keys = [key.public_jwk for key in await published_keys(organization_id)]
    body = json.dumps({"keys": keys}, separators=(",", ":")).encode()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"Cache-Control": CACHE_CONTROL, "ETag": etag}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)
