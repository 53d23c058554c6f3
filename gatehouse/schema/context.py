"""What every resolver receives as `info.context`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import HTTPConnection
from strawberry.types import Info as StrawberryInfo

from gatehouse.auth.principal import Principal
from gatehouse.schema.loaders import Loaders
from gatehouse.settings import Settings

if TYPE_CHECKING:
    from gatehouse.events.hub import Hub


@dataclass
class Context:
    request: HTTPConnection | None
    principal: Principal
    settings: Settings
    request_id: str
    loaders: Loaders = field(default_factory=Loaders)
    # The raw `Authorization` value (header, or websocket `connection_init` payload), kept so
    # a long-lived subscription can re-check it.
    authorization: str | None = None
    # Set by Strawberry from the websocket `connection_init` payload.
    connection_params: dict[str, Any] | None = None
    event_hub: Hub | None = None


Info = StrawberryInfo[Context, None]
