"""Configuration from the environment, validated once at start-up.

Errors name the variable and never echo its value: URLs carry passwords."""

from __future__ import annotations

import enum
from typing import Annotated

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, SettingsConfigDict


class Environment(enum.StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class SettingsError(Exception):
    """Configuration is missing or malformed; the message names the variable."""


class DatabaseSettings(BaseModel):
    url: SecretStr

    @field_validator("url")
    @classmethod
    def _asyncpg_url(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().startswith("postgresql+asyncpg://"):
            raise ValueError("must be a postgresql+asyncpg:// URL")
        return value


class InviteSettings(BaseModel):
    max_pending: Annotated[int, Field(ge=1, le=10_000)] = 10
    # 0 means invites do not expire unless the inviter sets an expiry.
    default_ttl_days: Annotated[int, Field(ge=0, le=3650)] = 30


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_nested_delimiter="__", extra="ignore")

    database: DatabaseSettings
    # Informational parts of the connection that scripts (wait-for-db, psql) use.
    database_host: str | None = None
    database_port: Annotated[int, Field(ge=1, le=65535)] | None = None
    database_user: str | None = None
    atproto_pds_url: str = "https://bsky.social"
    environment: Environment = Environment.DEVELOPMENT
    debug: bool = False
    invites: InviteSettings = InviteSettings()


def _variable(loc: tuple[int | str, ...]) -> str:
    if loc == ("database",):
        return "DATABASE__URL"
    return "__".join(str(part) for part in loc).upper()


def _problem(err: ErrorDetails) -> str:
    if err["type"] == "missing":
        return f"{_variable(err['loc'])} is not set"
    return f"{_variable(err['loc'])}: {err['msg'].removeprefix('Value error, ')}"


def load_settings() -> Settings:
    """Reads the environment; raises SettingsError listing every bad variable."""
    try:
        return Settings()  # type: ignore[call-arg]
    except ValidationError as exc:
        problems = [_problem(err) for err in exc.errors(include_input=False, include_url=False)]
        raise SettingsError("invalid configuration: " + "; ".join(problems)) from None


def load_database_url() -> str:
    return load_settings().database.url.get_secret_value()
