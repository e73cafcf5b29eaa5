"""GraphQL over HTTP media types: which one a client gets, and what status goes with it."""

from __future__ import annotations

from typing import Any

from strawberry.http import GraphQLHTTPResponse

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
APPLICATION_JSON = "application/json"


def negotiate_media_type(accept: str | None) -> str:
    """application/graphql-response+json when the client prefers it, else application/json.

    Usage::

        negotiate_media_type("application/graphql-response+json, application/json;q=0.9")
        # -> "application/graphql-response+json"

    Only an explicit application/graphql-response+json selects it: a missing header and
    wildcards keep application/json, the spec's legacy default, so existing clients see
    no change. A header naming neither type is disregarded (the spec allows that instead
    of 406) and gets application/json too.
    """
    ranges = _media_ranges(accept or "")
    graphql_response = ranges.get(GRAPHQL_RESPONSE_JSON, 0.0)
    json = next((ranges[r] for r in (APPLICATION_JSON, "application/*", "*/*") if r in ranges), 0.0)
    if graphql_response > 0 and graphql_response >= json:
        return GRAPHQL_RESPONSE_JSON
    return APPLICATION_JSON


def graphql_response(body: GraphQLHTTPResponse) -> tuple[int, GraphQLHTTPResponse]:
    """The status and body application/graphql-response+json asks for.

    A request error (the document did not parse or validate, or the variables did not
    coerce) never reached execution: none of its errors has a `path`. It answers 400 (500
    when it was our fault) without a `data` entry. Anything that executed answers 200, even
    with field errors or `data: null`.
    """
    errors: list[Any] = body.get("errors") or []
    executed = body.get("data") is not None or any("path" in error for error in errors)
    if executed or not errors:
        return 200, body
    internal = any(
        (error.get("extensions") or {}).get("code") == "INTERNAL_SERVER_ERROR" for error in errors
    )
    without_data = body.copy()
    without_data.pop("data", None)
    return (500 if internal else 400), without_data


def _media_ranges(accept: str) -> dict[str, float]:
    """Media range -> q from an Accept header; malformed weights count as 0."""
    ranges: dict[str, float] = {}
    for item in accept.split(","):
        media_range, *params = (part.strip() for part in item.split(";"))
        if not media_range:
            continue
        weight = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    weight = 0.0
        key = media_range.lower()
        ranges[key] = max(ranges.get(key, 0.0), weight)
    return ranges
