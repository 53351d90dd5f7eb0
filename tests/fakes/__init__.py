"""Working in-memory stand-ins for the outer boundary and for fast unit tests.

Each passes the same contract tests as the real adapter it replaces."""
