"""A fake atproto authorization server, PDS, PLC directory and handle resolver in one
small ASGI app, for tests and `serve --dev-bluesky`. It checks what a real server
checks (PAR, PKCE S256, DPoP proofs and nonces, single-use codes, single-use
DPoP-bound rotating refresh tokens; the client_id rules, the client's metadata and
JWKS fetched from the client, private_key_jwt assertions, the redirect_uri), revokes
grants (RFC 7009) and answers getSession for live access tokens only, and has switches
to misbehave (wrong iss, other sub, scope without atproto, slow refreshes, a refused
PAR, a failing or missing revocation endpoint)."""

from talk_backend.devtools.fake_atproto.server import FakeAccount, FakeAtproto

__all__ = ["FakeAccount", "FakeAtproto"]
