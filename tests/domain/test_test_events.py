"""Events on the wire and random test event content."""

from __future__ import annotations

import ipaddress
import json
import random
import re
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hookwire.domain.event_catalog import (
    FACTOR_METHODS,
    PERSON_HANDLE_TYPES,
    UnknownEvent,
    event_type,
    event_types,
)
from hookwire.domain.sample_events import (
    build_event_content,
    format_event_timestamp,
    random_event_fields,
)

EVENT_NAMES = [et.name for et in event_types("event")]
TS = datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
DOC_NETWORKS = [
    ipaddress.ip_network(net)
    for net in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
]


def _build(name: str = "PersonCreated_v1", **kwargs: Any) -> dict[str, Any]:
    return build_event_content(
        name, event_id="evt-1", organization_id="org-1", timestamp=TS, **kwargs
    )


def _keys_sorted_everywhere(value: Any) -> bool:
    if isinstance(value, dict):
        return list(value) == sorted(value) and all(map(_keys_sorted_everywhere, value.values()))
    if isinstance(value, list):
        return all(map(_keys_sorted_everywhere, value))
    return True


# --- timestamps ---------------------------------------------------------------------


def test_timestamps_are_rfc3339_utc_with_nanoseconds() -> None:
    assert format_event_timestamp(TS) == "2024-01-02T03:04:05.123456000Z"


def test_timestamps_are_converted_to_utc() -> None:
    # given
    ts = datetime(2024, 1, 2, 5, 4, 5, 7, tzinfo=timezone(timedelta(hours=2)))
    # then
    assert format_event_timestamp(ts) == "2024-01-02T03:04:05.000007000Z"


def test_whole_seconds_still_carry_nine_fraction_digits() -> None:
    assert format_event_timestamp(datetime(1999, 12, 31, tzinfo=UTC)) == (
        "1999-12-31T00:00:00.000000000Z"
    )


def test_naive_timestamps_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        format_event_timestamp(datetime(2024, 1, 2))


@given(st.datetimes(timezones=st.just(UTC)))
def test_formatted_timestamps_parse_back(ts: datetime) -> None:
    text = format_event_timestamp(ts)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z", text)
    assert datetime.strptime(text[:-4] + "+0000", "%Y-%m-%dT%H:%M:%S.%f%z") == ts


# --- wire form ----------------------------------------------------------------------


def test_event_metadata_is_filled_in() -> None:
    # when
    content = _build(fields={"person_id": "p-1"})
    # then
    assert content == {
        "event_metadata": {
            "event_id": "evt-1",
            "event_name": "PersonCreated_v1",
            "event_type": "PersonCreated",
            "event_version": 1,
            "organization_id": "org-1",
            "source": 1,
            "timestamp": "2024-01-02T03:04:05.123456000Z",
        },
        "person_id": "p-1",
    }


def test_is_test_event_appears_only_when_true() -> None:
    assert "is_test_event" not in _build()["event_metadata"]
    assert _build(is_test_event=True)["event_metadata"]["is_test_event"] is True


@pytest.mark.parametrize("name", EVENT_NAMES)
def test_event_type_is_the_name_without_v1(name: str) -> None:
    metadata = _build(name)["event_metadata"]
    assert metadata["event_name"] == name
    assert metadata["event_type"] == name.removesuffix("_v1")
    assert not metadata["event_type"].endswith("_v1")


def test_source_is_a_number_of_the_event_source_enum() -> None:
    assert _build(source=3)["event_metadata"]["source"] == 3
    with pytest.raises(ValueError, match="unknown event source 7"):
        _build(source=7)


def test_fields_cannot_override_event_metadata() -> None:
    # given
    fields: dict[str, Any] = {
        "event_metadata": {"event_id": "forged", "organization_id": "other"},
        "x": 1,
    }
    # when
    content = _build(fields=fields)
    # then
    assert content["event_metadata"]["event_id"] == "evt-1"
    assert content["event_metadata"]["organization_id"] == "org-1"
    assert content["x"] == 1
    assert fields["event_metadata"] == {"event_id": "forged", "organization_id": "other"}


def test_zero_values_are_left_out_recursively() -> None:
    # given
    fields: dict[str, Any] = {
        "none": None,
        "empty": "",
        "zero": 0,
        "zero_float": 0.0,
        "false": False,
        "no_list": [],
        "no_dict": {},
        "nested": {"a": "", "b": {"c": None}, "keep": 0.5},
        "emptied": {"a": None, "b": {"c": []}},
        "items": [{"a": 0, "b": "x"}, 0, ""],
        "true": True,
        "one": 1,
    }
    # when
    content = _build(fields=fields)
    # then
    content.pop("event_metadata")
    assert content == {
        "nested": {"keep": 0.5},
        "items": [{"b": "x"}, 0, ""],
        "true": True,
        "one": 1,
    }


def test_keys_are_sorted_recursively() -> None:
    # given
    fields = {"zeta": {"y": 1, "b": [{"k": 1, "a": 2}]}, "alpha": 1, "Mid": 2}
    # when
    content = _build(fields=fields)
    # then
    assert list(content) == ["Mid", "alpha", "event_metadata", "zeta"]
    assert _keys_sorted_everywhere(content)
    assert json.dumps(content) == json.dumps(content, sort_keys=True)


def test_tuples_become_lists() -> None:
    assert _build(fields={"roles": ("a", "b")})["roles"] == ["a", "b"]


@pytest.mark.parametrize("name", ["token_minted", "PersonCreated", "Nope_v1"])
def test_only_events_can_be_built(name: str) -> None:
    with pytest.raises(UnknownEvent):
        _build(name)


# --- random content -----------------------------------------------------------------


@pytest.mark.parametrize("name", EVENT_NAMES)
def test_random_fields_are_documented_fields_of_the_event(name: str) -> None:
    # given
    documented = {field.name for field in event_type(name).fields} - {"event_metadata"}
    for seed in range(25):
        # when
        fields = random_event_fields(name, random.Random(seed))
        # then
        assert fields, "every event has content besides its metadata"
        assert set(fields) <= documented


@pytest.mark.parametrize("name", EVENT_NAMES)
def test_random_content_survives_the_wire_form(name: str) -> None:
    # given
    fields = random_event_fields(name, random.Random(7))
    # when
    content = _build(name, fields=fields, is_test_event=True)
    # then
    assert set(content) - {"event_metadata"}, "at least one field besides metadata"
    assert content["event_metadata"]["is_test_event"] is True
    assert json.loads(json.dumps(content)) == content
    assert _keys_sorted_everywhere(content)


def test_random_content_is_reproducible_from_the_seed() -> None:
    for name in EVENT_NAMES:
        first = random_event_fields(name, random.Random(42))
        assert random_event_fields(name, random.Random(42)) == first


def test_random_content_varies() -> None:
    samples = {
        json.dumps(random_event_fields("AuthenticationFailed_v1", random.Random(seed)))
        for seed in range(20)
    }
    assert len(samples) == 20


def test_the_given_analytics_correlation_id_is_used() -> None:
    fields = random_event_fields("VirtualPageLoaded_v1", random.Random(1), "corr-123")
    assert fields["analytics_metadata"]["analytics_correlation_id"] == "corr-123"


def test_a_fresh_analytics_correlation_id_is_a_uuid4() -> None:
    fields = random_event_fields("VirtualPageLoaded_v1", random.Random(1))
    assert uuid.UUID(fields["analytics_metadata"]["analytics_correlation_id"]).version == 4


def test_random_fields_refuse_sync_hooks() -> None:
    with pytest.raises(UnknownEvent):
        random_event_fields("token_minted", random.Random(1))


def _all_samples() -> list[dict[str, Any]]:
    return [
        random_event_fields(name, random.Random(seed)) for name in EVENT_NAMES for seed in range(30)
    ]


def _values(samples: list[dict[str, Any]], key: str) -> list[Any]:
    found: list[Any] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                if k == key:
                    found.append(v)
                walk(v)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for sample in samples:
        walk(sample)
    assert found, f"no {key} generated"
    return found


SAMPLES = _all_samples()


def test_person_ids_are_uuid4() -> None:
    for value in _values(SAMPLES, "person_id"):
        assert uuid.UUID(value).version == 4


def test_client_ips_come_from_documentation_ranges() -> None:
    ips = {ipaddress.ip_address(value) for value in _values(SAMPLES, "client_ip_address")}
    assert all(any(ip in net for net in DOC_NETWORKS) for ip in ips)
    assert {ip.version for ip in ips} == {4, 6}


def test_handles_are_fictional_and_typed() -> None:
    kinds = set()
    for handle in _values(SAMPLES, "handle"):
        kind = {v: k for k, v in PERSON_HANDLE_TYPES.items()}[handle["type"]]
        kinds.add(kind)
        value = handle["value"]
        if kind == "EmailAddress":
            assert re.fullmatch(r"[a-z.]+@example\.(com|org)", value)
        elif kind == "PhoneNumber":
            assert re.fullmatch(r"\+1\d{3}55501\d\d", value)
        else:
            assert re.fullmatch(r"[a-z]+\d+", value)
    assert kinds == set(PERSON_HANDLE_TYPES)


def test_authentication_methods_come_from_the_catalog() -> None:
    methods = _values(SAMPLES, "authn_method") + _values(SAMPLES, "failed_authn_method")
    assert set(methods) <= set(FACTOR_METHODS)
    for chosen in _values(SAMPLES, "authenticated_methods"):
        assert chosen and set(chosen) <= set(FACTOR_METHODS)


def test_successful_authentications_include_the_method_used() -> None:
    for seed in range(30):
        fields = random_event_fields("AuthenticationSucceeded_v1", random.Random(seed))
        assert fields["authn_method"] in fields["authenticated_methods"]


def test_failures_have_a_reason_and_a_detail() -> None:
    for seed in range(30):
        fields = random_event_fields("AuthenticationFailed_v1", random.Random(seed))
        assert re.fullmatch(r"[a-z_]+", fields["failure_reason"])
        assert fields["failure_detail"].endswith(".")


def test_browser_metadata_looks_like_a_browser() -> None:
    for block in _values(SAMPLES, "browser_metadata"):
        assert block["user_agent"].startswith("Mozilla/5.0 (")
        assert block["window_location"].startswith("https://app.example.com/")
        assert re.fullmatch(r"1\.\d+\.\d+", block["slashid_sdk_version"])


def test_password_change_initiators_are_enum_numbers() -> None:
    assert set(_values(SAMPLES, "initiator")) == {1, 2}


def test_aws_arns_name_the_account_and_resource() -> None:
    for name in ("AWSIAMUserCreated_v1", "AWSIAMRoleCreated_v1"):
        fields = random_event_fields(name, random.Random(3))
        resource = fields.get("user_name") or fields["role_name"]
        assert fields["arn"].startswith(f"arn:aws:iam::{fields['account_id']}:")
        assert fields["arn"].endswith(f"/{resource}")
        assert re.fullmatch(r"\d{12}", fields["account_id"])


def test_gcp_service_accounts_belong_to_the_project() -> None:
    fields = random_event_fields("GCPServiceAccountCreated_v1", random.Random(3))
    assert fields["service_account_email"].endswith(
        f"@{fields['project_id']}.iam.gserviceaccount.com"
    )
