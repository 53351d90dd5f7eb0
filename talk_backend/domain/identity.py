"""atproto identifiers: DIDs (the stable identity) and handles (mutable names).

Syntax follows the atproto specs (https://atproto.com/specs/did, /specs/handle).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from talk_backend.domain.errors import InvalidDid, InvalidHandle

_DID_MAX = 2048
_DID_PLC = re.compile(r"^did:plc:[a-z2-7]{24}$")
# did:web names a hostname (ports are percent-encoded as %3A); paths are not allowed by atproto.
_DID_WEB = re.compile(
    r"^did:web:([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?(%3a[0-9]{1,5})?$"
)
_HANDLE = re.compile(r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$")
_HANDLE_MAX = 253
# The spec reserves these TLDs; no real account can hold such a handle.
_RESERVED_TLDS = frozenset(
    {"alt", "arpa", "example", "internal", "invalid", "local", "localhost", "onion"}
)
INVALID_HANDLE = "handle.invalid"


@dataclass(frozen=True, slots=True)
class Did:
    value: str

    @classmethod
    def parse(cls, raw: str) -> Did:
        text = raw
        if text != text.strip():
            raise InvalidDid("DID has leading or trailing whitespace")
        if len(text) > _DID_MAX:
            raise InvalidDid(f"DID is longer than {_DID_MAX} characters")
        if text.startswith("did:web:"):
            text = text.lower()
            if _DID_WEB.match(text):
                return cls(text)
            raise InvalidDid(f"not a valid did:web identifier: {raw!r}")
        if text.startswith("did:plc:"):
            if _DID_PLC.match(text):
                return cls(text)
            raise InvalidDid(f"not a valid did:plc identifier: {raw!r}")
        if text.startswith("did:"):
            raise InvalidDid(f"only did:plc and did:web are supported, got {raw!r}")
        raise InvalidDid(f"not a DID: {raw!r}")

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Handle:
    """A normalised handle: lowercase, no leading '@'.

    `handle.invalid` is what atproto reports when a handle failed verification; it is
    representable (so identities can carry it) but never matches anything.
    """

    value: str

    @classmethod
    def parse(cls, raw: str) -> Handle:
        if raw != raw.strip():
            raise InvalidHandle("handle has leading or trailing whitespace")
        text = raw.removeprefix("@").lower()
        if not text:
            raise InvalidHandle("handle is empty")
        if len(text) > _HANDLE_MAX:
            raise InvalidHandle(f"handle is longer than {_HANDLE_MAX} characters")
        if text == INVALID_HANDLE:
            return cls(text)
        if not _HANDLE.match(text):
            raise InvalidHandle(f"not a valid handle: {raw!r}")
        if text.rsplit(".", 1)[1] in _RESERVED_TLDS:
            raise InvalidHandle(f"handle uses a reserved top-level domain: {raw!r}")
        return cls(text)

    @property
    def is_invalid_marker(self) -> bool:
        return self.value == INVALID_HANDLE

    def matches(self, other: Handle | None) -> bool:
        if other is None or self.is_invalid_marker or other.is_invalid_marker:
            return False
        return self.value == other.value

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class VerifiedIdentity:
    """Who the identity provider vouched for.

    `handle` is set only when it was verified both ways (the DID document claims it
    and it resolves back to the DID); otherwise it is None.
    """

    did: Did
    handle: Handle | None = None

    @property
    def verified_handle(self) -> Handle | None:
        if self.handle is None or self.handle.is_invalid_marker:
            return None
        return self.handle


def parse_account(raw: str) -> Did | Handle:
    """Reads what a person typed to name an account: a DID or a handle. Whitespace
    around it is refused, not trimmed: the schema's pattern is what is accepted."""
    if raw.startswith("did:"):
        return Did.parse(raw)
    return Handle.parse(raw)
