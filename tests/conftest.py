"""The project's pytest plumbing, in one place: the harness and the fake atproto
fixtures are plugins (no test module imports a fixture by name). The harness's plugin
marks what needs PostgreSQL (tests/harness/plugin.py, POSTGRES_DIRS)."""

pytest_plugins = ["tests.harness.plugin", "tests.fakes.atproto_fixtures"]
