import uvicorn

from infra.logs import configure
from services.gateway.app import build
from services.gateway.config import Settings

settings = Settings()
configure("gateway", settings.log_level)
# uvicorn stops gracefully on SIGTERM: it closes websockets and runs the lifespan shutdown.
uvicorn.run(
    build(settings), host=settings.gateway_host, port=settings.gateway_port, ws="websockets", log_config=None
)
