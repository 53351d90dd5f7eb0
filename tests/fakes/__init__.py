"""Working in-memory stand-ins for the outer boundary and for fast unit tests.

Each fake of a port is wired in its group's fake provider (providers.py) and passes
the same contract test as the real adapter it stands in for: tests/contract/ (Bluesky
sign-in, grants, revocation; clock, health) and the *_contract.py modules and
test_bluesky_grant_store.py in tests/integration/infrastructure/persistence/. The
other modules here are helpers (fixtures, TLS, a grant probe), not fakes of a port."""
