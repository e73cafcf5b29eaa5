"""graphql-http's GraphQL-over-HTTP audit against the running server passes in full (§8)."""

from __future__ import annotations

import json
from typing import Any

from tests.support.node import NodeScripts
from tests.support.server import Org, ServerThread


def audit(node_scripts: NodeScripts, url: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    done = node_scripts.run("audit.mjs", url, json.dumps(headers), timeout=60)
    assert done.returncode == 0, done.stderr
    results: list[dict[str, Any]] = json.loads(done.stdout)
    return results


def failing(results: list[dict[str, Any]]) -> list[str]:
    return [
        f"{r['id']} {r['status']}: {r['name']}: {r['reason']} {r.get('response', '')}"
        for r in results
        if r["status"] != "ok"
    ]


def test_every_audit_passes_for_an_anonymous_client(
    node_scripts: NodeScripts, server: ServerThread
) -> None:
    # The audits only ask for { __typename }, which needs no API key.
    results = audit(node_scripts, server.url + "/graphql", {})

    assert len(results) > 50, results
    assert not failing(results), "\n".join(failing(results))


def test_every_audit_passes_for_a_client_with_an_api_key(
    node_scripts: NodeScripts, server: ServerThread, org: Org
) -> None:
    headers = {"Authorization": f"Bearer {org.api_key}"}

    results = audit(node_scripts, server.url + "/graphql", headers)

    assert len(results) > 50, results
    assert not failing(results), "\n".join(failing(results))
