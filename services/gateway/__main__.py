import uvicorn

from infra.logs import configure
from services.gateway.app import build
from services.gateway.config import Settings

settings = Settings()
configure("gateway", settings.log_level)
# uvicorn stops gracefully on SIGTERM: it closes websockets and runs the lifespan shutdown. Its
# websocket layer caps incoming frames and pings every client, dropping those that stop answering.
# The sans-I/O layer without per-message deflate (bench.fanout, 1,000 clients): deflate compresses
# each frame once per client, which undoes encoding it once and doubled p99 latency.
uvicorn.run(
    build(settings),
    host=settings.gateway_host,
    port=settings.gateway_port,
    ws="websockets-sansio",
    ws_per_message_deflate=False,
    ws_max_size=settings.gateway_max_ws_message_bytes,
    ws_ping_interval=settings.gateway_ws_ping_seconds,
    ws_ping_timeout=settings.gateway_ws_ping_seconds,
    log_config=None,
)
