"""What adapters report through the ports, and what use cases refuse that no domain rule
decides. None of these is a broken rule (those are domain errors): each says whose side
failed, so the HTTP answer can say it too (entrypoints/http/errors.py maps them)."""


class AdapterError(Exception):
    """Base of the failures an adapter reports to the application."""


class SignInRejected(AdapterError):
    """The browser's half of a sign-in does not fit one under way: an unknown, used or
    expired state, another browser's state, a callback without a code or from another
    issuer, or an error the authorization server sent back through the browser. The
    person can start again; nothing on Bluesky's side is broken."""


class AccountUnresolvable(AdapterError):
    """The account the person named cannot sign in here: its handle does not resolve
    or is not claimed back, or its DID document is missing, malformed or names no PDS."""


class AuthorizationRefused(AdapterError):
    """The account's authorization server refused to start the sign-in (its answer to
    the pushed authorization request): its OAuth error code and description, as the
    adapter cleaned them (bounded, printable, nothing we sent echoed back)."""

    def __init__(self, error: str, description: str | None) -> None:
        said = f"{error}: {description}" if description else error
        super().__init__(f"the authorization server refused the request: {said}")
        self.error = error
        self.description = description


class GrantRefreshRefused(AdapterError):
    """The member's Bluesky grant can no longer be refreshed (its authorization server
    said invalid_grant, or it expired without a refresh token): sign in again."""


class GrantNotFound(AdapterError):
    """This server holds no Bluesky grant for the member (signed out, or never signed
    in through this server): sign in again."""


class UpstreamFailure(AdapterError):
    """A server on Bluesky's side (PDS, authorization server, resolver, PLC directory)
    could not be reached or answered against the protocol (an HTTP error, malformed
    metadata, a DPoP nonce asked for and not given, an unusable token response). The
    message names the server's origin and the fault, never a token. Later may work."""


class UnsafeUrl(AdapterError):
    """A URL taken from someone else's document leads where this server must not go
    (not https, credentials in it, or a non-public address)."""
