"""The fake's state and routes."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from talk_backend.devtools.fake_atproto import consent
from talk_backend.devtools.fake_atproto.clients import (
    ClientRegistry,
    KnownClient,
    check_redirect_uri,
)
from talk_backend.devtools.fake_atproto.dpop_check import DpopRejected, check_proof
from talk_backend.devtools.fake_atproto.grants import Grant, Grants, Par, Refused


@dataclass
class FakeAccount:
    did: str
    handle: str
    # The DID document claims `handle`; resolving `handle` gives `handle_points_to`.
    handle_points_to: str | None = None


def did_for_handle(handle: str) -> str:
    """A did:plc derived from the handle: the same handle always names the same account."""
    digest = hashlib.sha256(handle.lower().encode()).digest()
    return "did:plc:" + base64.b32encode(digest).decode().lower()[:24]


@dataclass
class FakeAtproto:
    accounts: dict[str, FakeAccount] = field(default_factory=dict)
    # Handles ending in this suffix (".dev.test") exist without being added, each with
    # the DID did_for_handle gives: anyone can be tried by hand (serve --dev-bluesky).
    open_suffix: str | None = None
    # Misbehaviour switches for tests.
    # The account a person picks on this server's sign-in page when the client named
    # none (sign-in started at the entryway); None: nobody picks, access is denied.
    chosen_account: str | None = None
    # The authorization server the PDS names; None: this server itself.
    protected_resource_server: str | None = None
    callback_iss: str | None = None
    token_sub: str | None = None
    token_scope: str | None = None
    # Which clients it knows: the loopback one, and https clients on host names
    # mapped to 127.0.0.1 (`clients.hosts`), trusted with `clients.tls`.
    clients: ClientRegistry = field(default_factory=ClientRegistry)
    access_token_ttl: int = 1800
    # Test-only: skip the consent page and approve as the hinted account, for tests
    # that drive the flow without a browser. Off by default: a browser sees the page.
    auto_approve: bool = False
    # Seconds a refresh_token grant waits before it is looked at: widens race windows.
    refresh_delay: float = 0.0
    # Given the PAR's form, the (error, error_description) the PAR is refused with.
    par_refusal: Callable[[dict[str, str]], tuple[str, str]] | None = None
    # Given the request_uri an accepted PAR got, the (status, JSON body) answered in
    # place of atproto's (201, request_uri and expires_in): another server's answer.
    par_answer: Callable[[str], tuple[int, Any]] | None = None
    # False: the metadata names no revocation_endpoint (RFC 7009 is optional).
    advertise_revocation: bool = True
    # An HTTP status the revocation endpoint answers with instead of revoking (a 5xx).
    revocation_failure: int | None = None
    # Seconds the revocation endpoint waits before answering (a hanging server).
    revocation_delay: float = 0.0
    # An OAuth error code the token endpoint refuses every request with (400), such as
    # invalid_client: the server will not deal with this client at all.
    token_refusal: str | None = None
    # What happened, for tests to look at.
    nonce_challenges: int = 0
    refresh_grants: int = 0
    refreshes_refused: int = 0
    base_url: str = "http://127.0.0.1"
    grants: Grants = field(default_factory=Grants)
    _nonce: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    _jtis: set[str] = field(default_factory=set)

    def add_account(self, did: str, handle: str, *, handle_points_to: str | None = None) -> None:
        self.accounts[did] = FakeAccount(did, handle, handle_points_to)

    def rotate_nonce(self) -> None:
        self._nonce = secrets.token_urlsafe(16)

    @property
    def plc_directory_url(self) -> str:
        return f"{self.base_url}/plc"

    # --- resolver and PDS -------------------------------------------------
    def _open_account(self, handle: str) -> None:
        suffix = self.open_suffix
        if not suffix or not handle.endswith(suffix) or len(handle) > 253:
            return
        if all(account.handle != handle for account in self.accounts.values()):
            self.add_account(did_for_handle(handle), handle)

    async def resolve_handle(self, request: Request) -> Response:
        handle = request.query_params.get("handle", "").lower()
        self._open_account(handle)
        for account in self.accounts.values():
            if account.handle == handle:
                return JSONResponse({"did": account.handle_points_to or account.did})
        return JSONResponse({"error": "InvalidRequest", "message": "Unable to resolve handle"}, 400)

    async def did_document(self, request: Request) -> Response:
        account = self.accounts.get(request.path_params["did"])
        if account is None:
            return JSONResponse({"message": "DID not registered"}, 404)
        return JSONResponse(
            {
                "@context": ["https://www.w3.org/ns/did/v1"],
                "id": account.did,
                "alsoKnownAs": [f"at://{account.handle}"],
                "service": [
                    {
                        "id": "#atproto_pds",
                        "type": "AtprotoPersonalDataServer",
                        "serviceEndpoint": self.base_url,
                    }
                ],
            }
        )

    async def protected_resource(self, _: Request) -> Response:
        server = self.protected_resource_server or self.base_url
        return JSONResponse({"resource": self.base_url, "authorization_servers": [server]})

    async def server_metadata(self, _: Request) -> Response:
        base = self.base_url
        revocation = {"revocation_endpoint": f"{base}/oauth/revoke"}
        return JSONResponse(
            {
                **(revocation if self.advertise_revocation else {}),
                "issuer": base,
                "pushed_authorization_request_endpoint": f"{base}/oauth/par",
                "authorization_endpoint": f"{base}/oauth/authorize",
                "token_endpoint": f"{base}/oauth/token",
                "require_pushed_authorization_requests": True,
                "response_types_supported": ["code"],
                "grant_types_supported": ["authorization_code", "refresh_token"],
                "code_challenge_methods_supported": ["S256"],
                "dpop_signing_alg_values_supported": ["ES256"],
                "scopes_supported": ["atproto", "transition:generic"],
                "token_endpoint_auth_methods_supported": ["none", "private_key_jwt"],
                "token_endpoint_auth_signing_alg_values_supported": ["ES256"],
                "authorization_response_iss_parameter_supported": True,
                "client_id_metadata_document_supported": True,
            }
        )

    # --- OAuth ------------------------------------------------------------
    def _error(self, error: str, description: str, status: int = 400) -> Response:
        headers = {"DPoP-Nonce": self._nonce}
        return JSONResponse({"error": error, "error_description": description}, status, headers)

    async def _checked(self, request: Request, path: str) -> tuple[dict[str, str], str]:
        """The DPoP proof, then the client: known (its metadata fetched and checked)
        and authenticated as its metadata says. Raises DpopRejected or Refused."""
        form = await _form(request)
        jkt, _ = await self._client_of(request, form, path)
        return form, jkt

    async def _client_of(
        self, request: Request, form: dict[str, str], path: str
    ) -> tuple[str, KnownClient]:
        jkt = self._proof(request, path)
        client = await self.clients.client(form.get("client_id", ""))
        self.clients.authenticate(client, form, self.base_url, jkt)
        return jkt, client

    def _proof(self, request: Request, path: str, access_token: str | None = None) -> str:
        method = request.method
        try:
            return check_proof(
                request.headers.get("dpop"),
                method,
                self.base_url + path,
                self._nonce,
                self._jtis,
                access_token,
            )
        except DpopRejected as exc:
            if exc.error == "use_dpop_nonce":
                self.nonce_challenges += 1
            raise

    async def par(self, request: Request) -> Response:
        """As atproto's server: client credentials, the DPoP proof (nonce), the client
        (loopback, or its fetched metadata and JWKS), its authentication, then the
        request itself against the client's metadata (redirect_uri, scope)."""
        form = await _form(request)
        if not form.get("client_id"):
            return self._error("invalid_client", "Client credentials missing")
        try:
            jkt, client = await self._client_of(request, form, "/oauth/par")
            # In the real server's order: the scope, then the redirect_uri.
            declared = str(client.metadata.get("scope", "")).split(" ")
            for scope in form.get("scope", "").split():
                if scope not in declared:
                    raise Refused(
                        "invalid_scope", f'Scope "{scope}" is not declared in the client metadata'
                    )
            form["redirect_uri"] = check_redirect_uri(client, form.get("redirect_uri"))
        except (DpopRejected, Refused) as exc:
            return self._error(exc.error, str(exc))
        if self.par_refusal is not None:
            return self._error(*self.par_refusal(form))
        required = ("state", "redirect_uri", "code_challenge", "scope")
        if any(not form.get(name) for name in required):
            return self._error("invalid_request", "missing parameter")
        if form.get("response_type") != "code" or form.get("code_challenge_method") != "S256":
            return self._error("invalid_request", "response_type code and PKCE S256 required")
        if "atproto" not in form["scope"].split():
            return self._error("invalid_scope", "atproto scope required")
        request_uri = f"urn:ietf:params:oauth:request_uri:{secrets.token_urlsafe(16)}"
        self.grants.pars[request_uri] = Par(form, jkt, time.time() + 300)
        headers = {"DPoP-Nonce": self._nonce}
        if self.par_answer is not None:
            status, body = self.par_answer(request_uri)
            return JSONResponse(body, status, headers)
        return JSONResponse({"request_uri": request_uri, "expires_in": 300}, 201, headers)

    async def authorize(self, request: Request) -> Response:
        """Shows the consent page naming the account: the login_hint's, or without one
        the account the person picks here (`chosen_account`). With auto_approve (tests
        that are not about consent) approves at once as that account."""
        request_uri = request.query_params.get("request_uri", "")
        par = self.grants.pars.get(request_uri)
        if par is None or par.expires < time.time():
            return JSONResponse({"error": "invalid_request_uri"}, 400)
        if request.query_params.get("client_id") != par.params.get("client_id"):
            return JSONResponse({"error": "invalid_client"}, 400)
        account = self._hinted_account(par)
        if self.auto_approve or account is None:
            del self.grants.pars[request_uri]
            return self._redirect_back(par, account.did if account else None, 302)
        try:
            device = consent.bind(par, request.cookies.get(consent.DEVICE_COOKIE))
        except consent.ConsentRefused as exc:
            return JSONResponse({"error": "access_denied", "error_description": str(exc)}, 400)
        body = consent.page(par, request_uri, account.handle, account.did)
        response = HTMLResponse(body, headers=consent.PAGE_HEADERS)
        response.set_cookie(
            consent.DEVICE_COOKIE, device, httponly=True, samesite="lax", path=consent.COOKIE_PATH
        )
        return response

    async def decide(self, request: Request) -> Response:
        """The consent page's POST: approve or deny, then back to the client."""
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        request_uri = form.get("request_uri", "")
        par = self.grants.pars.get(request_uri)
        if par is None or par.expires < time.time():
            return JSONResponse({"error": "invalid_request_uri"}, 400)
        try:
            approved = consent.check_decision(
                par,
                form,
                request.cookies.get(consent.DEVICE_COOKIE),
                request.headers.get("origin"),
                self.base_url,
            )
        except consent.ConsentRefused as exc:
            return JSONResponse({"error": "access_denied", "error_description": str(exc)}, 403)
        del self.grants.pars[request_uri]  # single use, whichever the decision
        account = self._hinted_account(par) if approved else None
        return self._redirect_back(par, account.did if account else None, 303)

    def _hinted_account(self, par: Par) -> FakeAccount | None:
        hint = par.params.get("login_hint", self.chosen_account or "").lower()
        return next((a for a in self.accounts.values() if hint in (a.did, a.handle)), None)

    def _redirect_back(self, par: Par, did: str | None, status: int) -> Response:
        """The authorization response: a code for `did`, or access_denied without one."""
        query: dict[str, str] = {"state": par.params["state"]}
        query["iss"] = self.callback_iss or self.base_url
        if did is None:
            query["error"] = "access_denied"
        else:
            query["code"] = self.grants.new_code(par, did)
        return RedirectResponse(f"{par.params['redirect_uri']}?{urlencode(query)}", status)

    async def token(self, request: Request) -> Response:
        if self.token_refusal is not None:
            return self._error(self.token_refusal, "refused for this test")
        try:
            form, jkt = await self._checked(request, "/oauth/token")
            grant = await self._redeem(form, jkt)
        except (DpopRejected, Refused) as exc:
            return self._error(exc.error, str(exc))
        access_token, refresh_token = self.grants.new_tokens(grant)
        body: dict[str, Any] = {
            "access_token": access_token,
            "refresh_token": refresh_token,
            "token_type": "DPoP",
            "sub": self.token_sub or grant.did,
            "scope": self.token_scope or grant.scope,
            "expires_in": self.access_token_ttl,
        }
        return JSONResponse(body, 200, {"DPoP-Nonce": self._nonce, "Cache-Control": "no-store"})

    async def _redeem(self, form: dict[str, str], jkt: str) -> Grant:
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            return self.grants.redeem_code(form, jkt)
        if grant_type != "refresh_token":
            raise Refused("unsupported_grant_type", "authorization_code or refresh_token")
        self.refresh_grants += 1
        await asyncio.sleep(self.refresh_delay)
        try:
            return self.grants.redeem_refresh(form, jkt)
        except Refused:
            self.refreshes_refused += 1
            raise

    async def revoke(self, request: Request) -> Response:
        """RFC 7009, as atproto's server answers it: a bad form or DPoP proof is an
        error; past the proof, the answer is 200 whatever happened (an unknown token,
        another client's token), since the client could do nothing about it."""
        await asyncio.sleep(self.revocation_delay)
        if self.revocation_failure is not None:
            return JSONResponse({"error": "server_error"}, self.revocation_failure)
        form = await _form(request)
        if not form.get("client_id"):
            return self._error("invalid_request", "Client credentials missing")
        if not form.get("token"):
            return self._error("invalid_request", "Invalid request payload")
        try:
            jkt = self._proof(request, "/oauth/revoke")
        except DpopRejected as exc:
            return self._error(exc.error, str(exc))
        with contextlib.suppress(DpopRejected, Refused):
            client = await self.clients.client(form["client_id"])
            self.clients.authenticate(client, form, self.base_url, jkt)
            self.grants.revoke(form["token"], client.client_id, jkt)
        return JSONResponse({}, 200, {"DPoP-Nonce": self._nonce})

    async def get_session(self, request: Request) -> Response:
        """The PDS's com.atproto.server.getSession for a DPoP-bound access token: what
        tells a client whether its grant still works at the PDS."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "dpop" or not token:
            return self._pds_error("InvalidToken", "DPoP access token required")
        try:
            self._proof(request, "/xrpc/com.atproto.server.getSession", token)
        except DpopRejected as exc:
            return self._pds_error(exc.error, str(exc))
        grant = self.grants.live_grant(token)
        if grant is None:
            return self._pds_error("InvalidToken", "Token is invalid, expired or revoked")
        account = self.accounts.get(grant.did)
        handle = account.handle if account else "handle.invalid"
        return JSONResponse({"did": grant.did, "handle": handle, "active": True})

    def _pds_error(self, error: str, message: str) -> Response:
        # A resource server asks for a nonce with 401 and WWW-Authenticate (RFC 9449).
        headers = {
            "DPoP-Nonce": self._nonce,
            "WWW-Authenticate": f'DPoP error="{error}", error_description="{message}"',
        }
        return JSONResponse({"error": error, "message": message}, 401, headers)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/xrpc/com.atproto.identity.resolveHandle", self.resolve_handle),
                Route("/plc/{did}", self.did_document),
                Route("/.well-known/oauth-protected-resource", self.protected_resource),
                Route("/.well-known/oauth-authorization-server", self.server_metadata),
                Route("/oauth/par", self.par, methods=["POST"]),
                Route("/oauth/authorize", self.authorize, methods=["GET"]),
                Route("/oauth/authorize", self.decide, methods=["POST"]),
                Route("/oauth/token", self.token, methods=["POST"]),
                Route("/oauth/revoke", self.revoke, methods=["POST"]),
                Route("/xrpc/com.atproto.server.getSession", self.get_session),
            ]
        )


async def _form(request: Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
