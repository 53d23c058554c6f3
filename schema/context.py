"""What every resolver receives as `info.context`."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.requests import HTTPConnection
from strawberry.types import Info as StrawberryInfo

from gatehouse.auth.principal import Principal
from gatehouse.schema.loaders import Loaders
from gatehouse.settings import Settings


@dataclass
class Context:
    request: HTTPConnection | None
    principal: Principal
    settings: Settings
    request_id: str
    loaders: Loaders = field(default_factory=Loaders)


Info = StrawberryInfo[Context, None]
