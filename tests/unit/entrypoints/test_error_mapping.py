"""Which HTTP answer each kind of failure gets: the domain's refusals are 4xx, what the
person or browser got wrong is a 400, a Bluesky server that failed or misbehaved is a
502, and no answer carries more than the error's sentence."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI, HTTPException

from talk_backend.application import errors as adapter_errors
from talk_backend.application.errors import (
    AccountUnresolvable,
    AdapterError,
    GrantNotFound,
    GrantRefreshRefused,
    SignInRejected,
    UnsafeUrl,
    UpstreamFailure,
)
from talk_backend.domain import errors as domain_errors
from talk_backend.domain.errors import DomainError, DuplicateUser, InviteRequired, SignInDeclined
from talk_backend.entrypoints.http.errors import install_error_handlers, status_for
from talk_backend.entrypoints.http.sign_in_outcome import refusal_code
from talk_backend.infrastructure.bluesky.guarded_http import NotServed

FAILURES: dict[str, Exception] = {
    "upstream": UpstreamFailure("could not reach https://pds.example.test: ConnectError"),
    "nonce": UpstreamFailure("the server asked for a DPoP nonce without giving one"),
    "not-served": NotServed("https://pds.example.test answered HTTP 404"),
    "unsafe": UnsafeUrl("pds.example.test resolves to a non-public address"),
    "stale": SignInRejected("unknown or already used sign-in state"),
    "unresolvable": AccountUnresolvable("handle bob.test does not resolve to an account"),
    "declined": SignInDeclined("Bluesky refused the sign-in: access_denied"),
    "no-invite": InviteRequired("did:plc:x has no account and no valid invite"),
    "duplicate": DuplicateUser("did:plc:x is already registered"),
    "no-grant": GrantNotFound("no Bluesky grant for this member; sign in again"),
    "dead-grant": GrantRefreshRefused("Bluesky refused to refresh the grant (invalid_grant)"),
}
STATUS = {
    "upstream": 502,
    "nonce": 502,
    "not-served": 502,
    "unsafe": 400,
    "stale": 400,
    "unresolvable": 400,
    "declined": 400,
    "no-invite": 403,
    "duplicate": 409,
    "no-grant": 404,
    "dead-grant": 409,
}


def _app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/fail/{kind}")
    async def fail(kind: str) -> None:
        raise FAILURES[kind]

    return app


@pytest.mark.parametrize(("kind", "status"), sorted(STATUS.items()))
async def test_each_failure_has_its_status_and_its_sentence(kind, status):
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        answer = await client.get(f"/fail/{kind}")
    assert answer.status_code == status
    assert answer.json() == {"detail": str(FAILURES[kind])}
    # Only a rate limit says when to come back (429's own test: tests/e2e).
    assert "retry-after" not in answer.headers


def _subclasses(module: object, base: type[Exception]) -> list[type[Exception]]:
    return [
        kind
        for kind in vars(module).values()
        if isinstance(kind, type) and issubclass(kind, base) and kind is not base
    ]


@pytest.mark.parametrize(
    "kind",
    _subclasses(domain_errors, DomainError) + _subclasses(adapter_errors, AdapterError),
    ids=lambda kind: kind.__name__,
)
def test_every_known_error_has_a_status_in_the_one_table(kind):
    """A new error class without a row would be a 500 (status_for refuses to guess)."""
    error = kind("x", None) if kind is adapter_errors.AuthorizationRefused else kind("x")
    assert 400 <= status_for(error) <= 599


def test_an_error_without_a_row_is_refused_by_name():
    class Unmapped(DomainError):
        pass

    with pytest.raises(LookupError, match=r"^Unmapped has no HTTP status$"):
        status_for(Unmapped("x"))


def test_adapter_faults_are_not_domain_refusals():
    """Code that handles the domain's refusals must not swallow an outage or a stale
    callback, and the domain names no adapter's fault."""
    for kind in _subclasses(adapter_errors, AdapterError):
        assert not issubclass(kind, DomainError), kind
    assert not hasattr(domain_errors, "SignInFailed")


@pytest.mark.parametrize(
    ("kind", "code"),
    [("no-invite", "invite"), ("declined", "declined"), ("stale", "failed"),
     ("unresolvable", "failed"), ("upstream", "unavailable"), ("nonce", "unavailable")],
)  # fmt: skip
def test_a_browser_learns_whose_side_failed(kind, code):
    """The page's code for a refused callback: the person's doing, or Bluesky's outage."""
    assert refusal_code(FAILURES[kind]) == code


async def test_a_400_keeps_its_own_words_unless_the_body_was_not_utf8():
    """Only FastAPI's parse of bytes that are not UTF-8 gets json_body's sentence."""
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/bad")
    async def bad() -> None:
        raise HTTPException(400, "the query names no account")

    @app.get("/undecodable")
    async def undecodable() -> None:
        try:
            b"\xff".decode("utf-8")
        except UnicodeDecodeError as exc:
            raise HTTPException(400, "There was an error parsing the body") from exc

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        bad_answer = await client.get("/bad")
        undecodable_answer = await client.get("/undecodable")
    assert bad_answer.json() == {"detail": "the query names no account"}
    assert undecodable_answer.json() == {"detail": "the request body is not UTF-8 JSON"}
