from __future__ import annotations

import pytest

from tests.support.node import NodeScripts, NodeUnavailable


@pytest.fixture(scope="session")
def node_scripts() -> NodeScripts:
    """The Node clients, installed with `npm ci` into tests/conformance/node_modules once."""
    try:
        return NodeScripts.installed()
    except NodeUnavailable as unavailable:
        pytest.skip(f"the Node conformance clients cannot run: {unavailable}")
