"""The OpenAPI document says what the API enforces (issue 21, item 9): the eight operations
whose schema used to allow mostly what the server refused declare their patterns, lengths and
bounds, and document in a field description each rule no schema keyword can state.

The other direction: values drawn from the documented patterns pass the server's own format
rules; what the server may still refuse is a rule the description names."""

from __future__ import annotations

import re
import warnings
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import NonInteractiveExampleWarning

from src.application.use_cases.users import check_new_password
from src.domain.contacts import normalize_email, phone_key
from src.domain.money import quantize
from tests.integration.http.conftest import Api

# operation → body field → the keywords its schema must carry ("description": a rule only
# the server checks, documented there).
OPERATIONS: dict[tuple[str, str], dict[str, set[str]]] = {
    ("post", "/api/v1/auth/register"): {
        "email": {"pattern", "maxLength", "description"},
        "password": {"pattern", "minLength", "maxLength"},
        "phone": {"pattern", "maxLength", "description"},
        "name": {"pattern", "maxLength"},
    },
    ("post", "/api/v1/users/me/phone"): {"phone": {"pattern", "maxLength", "description"}},
    ("post", "/api/v1/users/me/email/verify"): {"code": {"pattern", "maxLength", "description"}},
    ("post", "/api/v1/users/me/phone/verify"): {"code": {"pattern", "maxLength", "description"}},
    ("post", "/api/v1/users/me/password"): {
        "current_password": {"pattern", "maxLength", "description"},
        "new_password": {"pattern", "minLength", "maxLength"},
    },
    ("post", "/api/v1/auth/password-reset/confirm"): {
        "email": {"pattern", "maxLength", "description"},
        "code": {"pattern", "maxLength", "description"},
        "new_password": {"pattern", "minLength", "maxLength"},
    },
    ("post", "/api/v1/loyalty/redemptions"): {
        "booking_id": {"minimum", "maximum", "description"},
        "points": {"pattern", "maxLength", "description"},
    },
    ("post", "/api/v1/admin/bookings/{booking_id}/link"): {
        "user_id": {"minimum", "maximum", "description"},
    },
}


def _fields(schema: dict[str, Any], method: str, path: str) -> dict[str, dict[str, Any]]:
    body = schema["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
    name = body["$ref"].rsplit("/", 1)[1]
    props: dict[str, dict[str, Any]] = schema["components"]["schemas"][name]["properties"]
    # An optional field is one of a string and null; its constraints may sit beside the
    # `oneOf` (Litestar's way) or in the string's branch.
    return {f: {**next((o for o in _choices(p) if o.get("type") != "null"), {}), **p}
            for f, p in props.items()}  # fmt: skip


def _choices(prop: dict[str, Any]) -> list[dict[str, Any]]:
    return prop.get("oneOf") or prop.get("anyOf") or [prop]  # type: ignore[no-any-return]


async def _schema(api: Api) -> dict[str, Any]:
    response = await api.client.get("/schema/openapi.json")
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


async def test_the_eight_operations_document_what_they_enforce(api: Api) -> None:
    schema = await _schema(api)
    for (method, path), wanted in OPERATIONS.items():
        fields = _fields(schema, method, path)
        for field, keywords in wanted.items():
            missing = keywords - set(fields[field])
            assert not missing, (path, field, missing)


def _values(pattern: str, max_length: int, count: int = 40) -> list[str]:
    """`count` strings the pattern fully matches, within the length (hypothesis draws them)."""
    strategy = st.from_regex(pattern, fullmatch=True).filter(lambda v: len(v) <= max_length)
    found: list[str] = []

    @settings(max_examples=count, database=None, suppress_health_check=list(HealthCheck))
    @given(strategy)
    def draw(value: str) -> None:
        found.append(value)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NonInteractiveExampleWarning)
        draw()
    return found


async def test_values_the_schema_allows_pass_the_servers_format_rules(api: Api) -> None:
    schema = await _schema(api)
    register = _fields(schema, "post", "/api/v1/auth/register")
    reset = _fields(schema, "post", "/api/v1/auth/password-reset/confirm")
    hold = _fields(schema, "post", "/api/v1/loyalty/redemptions")
    verify = _fields(schema, "post", "/api/v1/users/me/email/verify")

    for field in (register["email"], reset["email"]):
        for email in _values(field["pattern"], field["maxLength"]):
            normalized = normalize_email(email)
            assert normalized and not normalized.startswith("@"), email
            assert not normalized.endswith("@"), email
    for field in (register["password"], reset["new_password"]):
        assert field["minLength"] == 8
        for password in _values(field["pattern"], field["maxLength"]):
            if len(password) >= field["minLength"]:
                check_new_password(password)  # raises if the server refuses it
    for field in (verify["code"], reset["code"]):
        for code in _values(field["pattern"], field["maxLength"]):
            assert re.fullmatch(r"[0-9]{6}", code.strip()), code
    for points in _values(hold["points"]["pattern"], hold["points"]["maxLength"]):
        assert quantize(Decimal(points)) > 0, points  # the use case's "must be positive"


async def test_a_phone_the_pattern_allows_is_refused_only_for_its_countrys_length(
    api: Api,
) -> None:
    """The phone's one rule beyond the pattern is the country's numbering plan, which the
    description states; the pattern itself admits only what the phone library reads."""
    schema = await _schema(api)
    field = _fields(schema, "post", "/api/v1/users/me/phone")["phone"]
    assert "numbering plan" in field["description"] and "422" in field["description"]
    values = _values(field["pattern"], field["maxLength"])
    read = [v for v in values if phone_key(v, "RU") is not None]
    # Digits in the length a Russian number has are read, whatever the separators.
    for digits in ("9161234567", "89161234567", "+79161234567", "+1 916 555 1234"):
        assert phone_key(digits, "RU") is not None
    assert read, values
    for value in values:
        digits = re.sub(r"[^0-9]", "", value)
        assert 7 <= len(digits) <= 15, value


async def test_the_member_search_documents_its_422(api: Api) -> None:
    # The server refuses a `q` with a NUL character (PostgreSQL text cannot hold it) as 422;
    # the fuzz found that status undocumented.
    schema = (await api.client.get("/schema/openapi.json")).json()
    assert "422" in schema["paths"]["/api/v1/admin/users"]["get"]["responses"]
