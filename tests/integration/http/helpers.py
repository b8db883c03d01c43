"""Assertions shared by the HTTP tests."""

from __future__ import annotations

from typing import Any

import httpx
from dirty_equals import IsStr


def assert_error(response: httpx.Response, status: int, *names: str) -> dict[str, Any]:
    """The one error shape, with every one of `names` mentioned in its message."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error == {
        "code": IsStr(min_length=1),
        "message": IsStr(min_length=1),
        "status": status,
        **({"details": error["details"]} if "details" in error else {}),
    }
    for name in names:
        assert name in error["message"], error
    return error  # type: ignore[no-any-return]
