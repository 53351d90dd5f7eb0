"""Configuration from the environment, validated once at start-up.

Errors name the variable and never echo its value: URLs carry passwords."""

from __future__ import annotations

import enum
import ipaddress
from typing import Annotated

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from talk_backend.infrastructure.bluesky.client_id_rules import (
    METADATA_PATH,
    ClientIdRefused,
    check_discoverable_client_id,
    discoverable_problem,
)


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


def _http_url(value: str) -> str:
    if not value.startswith(("https://", "http://")):
        raise ValueError("must be an http(s) URL")
    return value.rstrip("/")


class OAuthSettings(BaseModel):
    """atproto OAuth client configuration. `public_url` is where browsers reach this
    API; the client_id and redirect URI derive from it, never from a request's Host."""

    public_url: str = "http://127.0.0.1:8000"
    # ES256 private key (PEM or JWK JSON): makes this a confidential client that
    # serves its metadata at {public_url}/oauth-client-metadata.json. Unset: the
    # loopback development client (`http://localhost?...`).
    private_key: SecretStr | None = None
    scope: str = "atproto"
    plc_directory_url: str = "https://plc.directory"
    # When set, handles resolve through this service's com.atproto.identity.resolveHandle
    # (a trusted resolver) instead of DNS and https://<handle>/.well-known/atproto-did.
    handle_resolver_url: str | None = None
    # Development/test only: lets resolution and OAuth talk plain http to 127.0.0.1/::1.
    allow_insecure_loopback: bool = False
    auth_request_ttl_seconds: Annotated[int, Field(ge=30, le=3600)] = 600
    http_timeout_seconds: Annotated[float, Field(gt=0, le=60)] = 10.0

    _urls = field_validator("public_url", "plc_directory_url")(_http_url)

    @field_validator("handle_resolver_url")
    @classmethod
    def _optional_url(cls, value: str | None) -> str | None:
        return None if value is None else _http_url(value)

    @field_validator("scope")
    @classmethod
    def _atproto_scope(cls, value: str) -> str:
        if "atproto" not in value.split():
            raise ValueError("must include the 'atproto' scope")
        return value


class SessionSettings(BaseModel):
    cookie_name: str = "talk_session"
    ttl_hours: Annotated[int, Field(ge=1, le=24 * 90)] = 24 * 14


class HttpSettings(BaseModel):
    """The HTTP edge (HTTP__*): how long reading a request may take, how many connections
    are open at once, which Host values are served, and whose forwarded headers count."""

    # From the connection's first byte (or a kept-alive connection's next request's
    # first byte) until the end of the headers; then until the end of the body.
    header_timeout_seconds: Annotated[float, Field(gt=0, le=300)] = 10.0
    body_timeout_seconds: Annotated[float, Field(gt=0, le=600)] = 30.0
    # Connections past this many are answered 503 and closed at once.
    max_connections: Annotated[int, Field(ge=1, le=100_000)] = 1000
    # Comma-separated. Host names served besides OAUTH__PUBLIC_URL's (loopback is
    # added outside production), and the peers (IPs or networks) whose
    # X-Forwarded-For / X-Forwarded-Proto are believed.
    extra_hosts: Annotated[list[str], NoDecode] = []
    trusted_proxies: Annotated[list[str], NoDecode] = []

    @field_validator("extra_hosts", "trusted_proxies", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("extra_hosts")
    @classmethod
    def _host_names(cls, value: list[str]) -> list[str]:
        for host in value:
            if not host or any(c in host for c in "/:@ ") or host != host.strip():
                raise ValueError("must be host names without scheme, port or path")
        return [host.lower() for host in value]

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for proxy in value:
            try:
                ipaddress.ip_network(proxy)
            except ValueError:
                raise ValueError("must be IP addresses or networks (10.0.0.0/8)") from None
        return value


class SignInLimits(BaseModel):
    """POST /auth/sign-in (SIGN_IN__*): each start stores a pending authorization and calls
    an authorization server, so starts are rate limited and pending rows capped."""

    per_address_per_minute: Annotated[int, Field(ge=1, le=10_000)] = 10
    total_per_minute: Annotated[int, Field(ge=1, le=1_000_000)] = 300
    max_pending: Annotated[int, Field(ge=10, le=10_000_000)] = 10_000


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_nested_delimiter="__", extra="ignore")

    database: DatabaseSettings
    # Informational parts of the connection that scripts (wait-for-db, psql) use.
    database_host: str | None = None
    database_port: Annotated[int, Field(ge=1, le=65535)] | None = None
    database_user: str | None = None
    # The entryway: where sign-in starts when the person names no account (its
    # authorization server lets them pick one).
    atproto_pds_url: str = "https://bsky.social"
    environment: Environment = Environment.DEVELOPMENT
    # Debug log level, and a 500 answer names the exception's type and where it was
    # raised (never its message: messages can carry URLs with passwords).
    debug: bool = False
    # Larger request bodies are refused with 413 before they are parsed.
    max_request_body_bytes: Annotated[int, Field(ge=1024, le=16 * 1024 * 1024)] = 64 * 1024
    # ACCESS_LOG=off: no line per request (a reverse proxy may log them already).
    access_log: bool = True
    invites: InviteSettings = InviteSettings()
    oauth: OAuthSettings = OAuthSettings()
    sessions: SessionSettings = SessionSettings()
    http: HttpSettings = HttpSettings()
    sign_in: SignInLimits = SignInLimits()

    _entryway = field_validator("atproto_pds_url")(_http_url)

    @model_validator(mode="after")
    def _no_loopback_in_production(self) -> Settings:
        if self.environment is Environment.PRODUCTION:
            if self.debug:
                raise ValueError("DEBUG must be false in production")
            if self.oauth.allow_insecure_loopback:
                raise ValueError("OAUTH__ALLOW_INSECURE_LOOPBACK must be false in production")
            if not self.oauth.public_url.startswith("https://"):
                raise ValueError("OAUTH__PUBLIC_URL must be https in production")
            if not self.atproto_pds_url.startswith("https://"):
                raise ValueError("ATPROTO_PDS_URL must be https in production")
            if self.oauth.private_key is None:
                raise ValueError("OAUTH__PRIVATE_KEY is required in production")
        return self

    @model_validator(mode="after")
    def _confidential_client_id_the_server_accepts(self) -> Settings:
        """A confidential client's client_id is {public_url}/oauth-client-metadata.json;
        atproto's authorization server refuses every sign-in of one it would refuse
        (client_id_rules), so refuse it here, once, naming the rule (not the URL: it
        may carry credentials). In every environment: it never works anywhere."""
        if self.oauth.private_key is None:
            return self
        client_id = self.oauth.public_url + METADATA_PATH
        try:
            check_discoverable_client_id(client_id)
        except ClientIdRefused as refused:
            rule = discoverable_problem(client_id) or refused.description
            raise ValueError(
                "OAUTH__PUBLIC_URL cannot serve a confidential client (OAUTH__PRIVATE_KEY "
                f"is set): atproto's authorization server refuses its client_id with "
                f"{refused.error}: {rule} (use https on a public DNS name)"
            ) from None
        return self

    @property
    def log_level(self) -> str:
        return "debug" if self.debug else "info"

    @property
    def secure_cookies(self) -> bool:
        """Cookies are Secure except in development and test, which run on plain http."""
        return self.environment is Environment.PRODUCTION


def _variable(loc: tuple[int | str, ...]) -> str:
    if loc == ("database",):
        return "DATABASE__URL"
    return "__".join(str(part) for part in loc).upper()


def _problem(err: ErrorDetails) -> str:
    if err["type"] == "missing":
        return f"{_variable(err['loc'])} is not set"
    if not err["loc"]:  # a rule across variables names them in its message
        return err["msg"].removeprefix("Value error, ")
    return f"{_variable(err['loc'])}: {err['msg'].removeprefix('Value error, ')}"


def load_settings(database_url: str | None = None) -> Settings:
    """Reads the environment; raises SettingsError listing every bad variable.

    `database_url` replaces DATABASE__URL (serve's embedded database)."""
    overrides = {"database": {"url": database_url}} if database_url else {}
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = [_problem(err) for err in exc.errors(include_input=False, include_url=False)]
        raise SettingsError("invalid configuration: " + "; ".join(problems)) from None


def load_database_url() -> str:
    return load_settings().database.url.get_secret_value()
