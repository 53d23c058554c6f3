"""`TORTOISE_ORM` for Tortoise's own CLI (`make migrations` runs `tortoise makemigrations`)."""

from gatehouse.server.db import tortoise_config
from gatehouse.settings import get_settings

TORTOISE_ORM = tortoise_config(get_settings().database_url)
