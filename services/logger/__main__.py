import asyncio

from infra.logs import configure
from services.logger.app import build
from services.logger.config import Settings

settings = Settings()
configure("logger", settings.log_level)
asyncio.run(build(settings).run())
