import asyncio

from infra.logs import configure
from services.fetcher.app import build
from services.fetcher.config import Settings

settings = Settings()
configure("fetcher", settings.log_level)
asyncio.run(build(settings).run())
