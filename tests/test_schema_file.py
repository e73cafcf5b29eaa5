"""schema.graphql is exported from the code and committed; drift fails here."""

from __future__ import annotations

from hookwire.schema.schema import SCHEMA_FILE, export_sdl


def test_committed_schema_matches_the_code() -> None:
    assert SCHEMA_FILE.read_text() == export_sdl(), (
        "schema.graphql is stale: run `make schema` and commit it"
    )
