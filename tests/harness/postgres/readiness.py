"""The bounded wait for a server lives in talk_backend.devtools.postgres_ready (the
runner uses it without importing the harness); the harness's name for it."""

from talk_backend.devtools.postgres_ready import PostgresNotReady, wait_until_ready

__all__ = ["PostgresNotReady", "wait_until_ready"]
