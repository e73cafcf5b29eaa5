"""A webhook receiver for trying Hookwire locally: HTTPS on 127.0.0.1, every body verified.

    .venv/bin/python examples/receiver.py --port 9443

It makes a throwaway certificate authority (trustme) and a certificate for receiver.test,
writes the CA to receiver-ca.pem, and prints the settings that let a local Hookwire reach
it. Each request's JWT is verified with PyJWT's PyJWKClient against Hookwire's JWKS
endpoint, exactly as SlashID's documentation shows, and its claims are printed.
"""

from __future__ import annotations

import argparse
import json
import ssl
from pathlib import Path

import jwt
import trustme
from aiohttp import web

HOSTNAME = "receiver.test"


def make_app(hookwire: str, organization_id: str | None) -> web.Application:
    clients: dict[str, jwt.PyJWKClient] = {}

    async def receive(request: web.Request) -> web.Response:
        token = (await request.read()).decode()
        # A real receiver knows its organization id; this demo reads it from `aud`.
        org = organization_id or jwt.decode(token, options={"verify_signature": False})["aud"]
        client = clients.setdefault(
            org,
            jwt.PyJWKClient(
                f"{hookwire}/organizations/webhooks/verification-jwks",
                headers={"SlashID-OrgID": org},
            ),
        )
        try:
            key = client.get_signing_key_from_jwt(token)
            claims = jwt.decode(token, key.key, algorithms=["ES256"], audience=org)
        except jwt.PyJWTError as error:
            print(f"REJECTED {request.path}: {error}", flush=True)
            return web.Response(status=401, text=str(error))
        print(f"VERIFIED {request.path} (kid {key.key_id}):", flush=True)
        print(json.dumps(claims, indent=2), flush=True)
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/{tail:.*}", receive)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=9443)
    parser.add_argument("--hookwire", default="http://127.0.0.1:8000")
    parser.add_argument("--org", help="the organization id to verify for (default: from aud)")
    args = parser.parse_args()

    ca = trustme.CA()
    ca_file = Path("receiver-ca.pem").resolve()
    ca.cert_pem.write_to_path(str(ca_file))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(HOSTNAME).configure_cert(context)

    print("Start Hookwire with these settings so that it can reach this receiver:")
    print(f"  export HOOKWIRE_RESOLVE={HOSTNAME}=127.0.0.1")
    print("  export HOOKWIRE_ALLOWED_NETWORKS=127.0.0.1/32")
    print(f"  export HOOKWIRE_CA_BUNDLE={ca_file}")
    print(f"Webhook target URL: https://{HOSTNAME}:{args.port}/hooks", flush=True)
    web.run_app(
        make_app(args.hookwire.rstrip("/"), args.org),
        host="127.0.0.1",
        port=args.port,
        ssl_context=context,
        print=None,
    )


if __name__ == "__main__":
    main()
