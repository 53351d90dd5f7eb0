"""Account resolution: handle <-> DID <-> DID document -> PDS.

A handle is trusted only when verified both ways: the DID document claims it
(`alsoKnownAs: at://handle`) and the handle resolves back to that DID."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

import dns.asyncresolver
import dns.exception
from atproto_core.did_doc import DidDocument

from talk_backend.application.errors import AccountUnresolvable, AdapterError
from talk_backend.domain.errors import DomainError
from talk_backend.domain.identity import Did, Handle
from talk_backend.infrastructure.bluesky.guarded_http import GuardedHttpClient, NotServed

_TXT_DID = re.compile(r"^did=(did:[a-z]+:\S+)$")


@dataclass(frozen=True, slots=True)
class ResolvedAccount:
    did: Did
    handle: Handle | None  # verified both ways, else None
    pds_url: str


class AtprotoIdentityResolver:
    def __init__(
        self,
        http: GuardedHttpClient,
        *,
        plc_directory_url: str,
        handle_resolver_url: str | None = None,
    ) -> None:
        self._http = http
        self._plc = plc_directory_url
        self._handle_resolver = handle_resolver_url

    async def resolve(self, account: Did | Handle) -> ResolvedAccount:
        if isinstance(account, Handle):
            did = await self.resolve_handle(account)
            if did is None:
                raise AccountUnresolvable(f"handle {account} does not resolve to an account")
            document = await self.resolve_did(did)
            claimed = _claimed_handle(document)
            if claimed is None or not claimed.matches(account):
                raise AccountUnresolvable(
                    f"the account behind {account} does not claim that handle"
                )
            return ResolvedAccount(did, account, _pds(document))
        document = await self.resolve_did(account)
        return ResolvedAccount(account, await self.verified_handle(document), _pds(document))

    async def verified_handle(self, document: DidDocument) -> Handle | None:
        """The handle the document claims, if it resolves back to the document's DID."""
        claimed = _claimed_handle(document)
        if claimed is None:
            return None
        try:
            back = await self.resolve_handle(claimed)
        except AdapterError:
            return None  # a handle that cannot be checked now is not verified
        return claimed if back is not None and back.value == document.id else None

    async def resolve_handle(self, handle: Handle) -> Did | None:
        if self._handle_resolver is not None:
            url = (
                f"{self._handle_resolver}/xrpc/com.atproto.identity.resolveHandle"
                f"?handle={quote(handle.value)}"
            )
            response = await self._http.request("GET", url)
            if response.status_code != 200:
                return None
            return _did_or_none(_field(response, "did"))
        return await _dns_did(handle) or await self._well_known_did(handle)

    async def _well_known_did(self, handle: Handle) -> Did | None:
        response = await self._http.request(
            "GET", f"https://{handle.value}/.well-known/atproto-did"
        )
        if response.status_code != 200:
            return None
        return _did_or_none(response.text.strip())

    async def resolve_did(self, did: Did) -> DidDocument:
        if did.value.startswith("did:plc:"):
            url = f"{self._plc}/{did.value}"
        else:
            host = did.value.removeprefix("did:web:").replace("%3a", ":")
            url = f"https://{host}/.well-known/did.json"
        try:
            raw = await self._http.get_json(url)
        except NotServed as exc:
            raise AccountUnresolvable(f"no DID document for {did}: {exc}") from None
        try:
            document = DidDocument.from_dict(raw)
        except Exception:
            raise AccountUnresolvable(f"the DID document of {did} is malformed") from None
        if document.id != did.value:
            raise AccountUnresolvable(f"the DID document fetched for {did} names another DID")
        return document


def _pds(document: DidDocument) -> str:
    try:
        endpoint = document.get_pds_endpoint()
    except Exception:
        endpoint = None
    if not isinstance(endpoint, str) or not endpoint:
        raise AccountUnresolvable(f"{document.id} names no usable PDS")
    return endpoint.rstrip("/")


def _claimed_handle(document: DidDocument) -> Handle | None:
    raw = document.get_handle()
    if raw is None:
        return None
    try:
        return Handle.parse(raw)
    except DomainError:
        return None


def _did_or_none(raw: object) -> Did | None:
    if not isinstance(raw, str):
        return None
    try:
        return Did.parse(raw)
    except DomainError:
        return None


def _field(response: object, name: str) -> object:
    try:
        body = response.json()  # type: ignore[attr-defined]
    except ValueError:
        return None
    return body.get(name) if isinstance(body, dict) else None


async def _dns_did(handle: Handle) -> Did | None:
    try:
        answer = await dns.asyncresolver.resolve(f"_atproto.{handle.value}", "TXT", lifetime=5)
    except (dns.exception.DNSException, OSError):
        return None
    dids = {
        m.group(1)
        for record in answer
        if (m := _TXT_DID.match(b"".join(record.strings).decode(errors="replace")))
    }
    # Two different DIDs is a misconfigured domain: trust neither.
    return _did_or_none(dids.pop()) if len(dids) == 1 else None
