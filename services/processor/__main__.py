import asyncio

from infra.logs import configure
from services.processor.app import build
from services.processor.config import Settings

settings = Settings()
configure("processor", settings.log_level)
asyncio.run(build(settings).run())
