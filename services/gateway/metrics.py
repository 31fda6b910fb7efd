"""The gateway's own metrics (shared ones are in infra.metrics): its websocket clients."""

from prometheus_client import Counter, Gauge

WEBSOCKET_CLIENTS = Gauge("job_importer_websocket_clients", "Websocket clients connected now.")
WEBSOCKET_FRAMES = Counter("job_importer_websocket_frames", "Frames written to websocket clients.")
WEBSOCKET_DROPPED_CLIENTS = Counter(
    "job_importer_websocket_dropped_clients",
    "Websocket clients disconnected for falling behind: their outbox overflowed.",
)
