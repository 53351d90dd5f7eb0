"""Health and the OAuth client's own documents."""

# No `from __future__ import annotations`: dishka's wrapper needs real annotations.

from typing import Any

from dishka.integrations.fastapi import DishkaRoute, FromDishka
from fastapi import APIRouter
from fastapi.responses import JSONResponse

from talk_backend.application.ports import HealthCheck
from talk_backend.entrypoints.http.schemas import Health
from talk_backend.infrastructure.bluesky.client_id_rules import METADATA_PATH
from talk_backend.infrastructure.bluesky.client_identity import (
    JWKS_PATH,
    ClientIdentity,
)

router = APIRouter(route_class=DishkaRoute)


@router.get(
    "/healthz",
    tags=["operations"],
    response_model=Health,
    responses={503: {"model": Health, "description": "Database down"}},
)
async def healthz(health: FromDishka[HealthCheck]) -> JSONResponse:
    if await health.database_ok():
        return JSONResponse({"status": "ok", "database": "ok"})
    return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)


@router.get(METADATA_PATH, tags=["oauth"])
async def client_metadata(client: FromDishka[ClientIdentity]) -> dict[str, Any]:
    """The atproto OAuth client metadata; its URL is the client_id."""
    return client.metadata()


@router.get(JWKS_PATH, tags=["oauth"])
async def jwks(client: FromDishka[ClientIdentity]) -> dict[str, Any]:
    """Public keys for the client's private_key_jwt authentication."""
    return client.jwks()
