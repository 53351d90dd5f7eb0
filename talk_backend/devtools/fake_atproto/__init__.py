"""A fake atproto authorization server, PDS, PLC directory and handle resolver in one
small ASGI app, for tests and `serve --dev-bluesky`. It checks what a real server
checks (PAR, PKCE S256, DPoP proofs and nonces, single-use codes, single-use
DPoP-bound rotating refresh tokens) and has switches to misbehave (wrong iss, other
sub, scope without atproto, slow refreshes)."""

from talk_backend.devtools.fake_atproto.server import FakeAccount, FakeAtproto

__all__ = ["FakeAccount", "FakeAtproto"]
