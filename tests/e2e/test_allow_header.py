"""A 405 names exactly the methods the path serves, no more and no fewer."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("OPTIONS", "/invites", "GET, POST"),
        ("PATCH", "/invites/x", "DELETE"),
        ("PUT", "/me", "GET"),
    ],
)
async def test_a_405_lists_exactly_the_allowed_methods(api, method, path, allow):
    answer = await api.request(method, path)
    assert answer.status_code == 405
    assert answer.headers["allow"] == allow
    assert answer.json() == {"detail": "Method Not Allowed"}
