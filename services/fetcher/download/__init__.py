"""Download a feed: checked addresses, bounded decoding, a size cap and a body spooled to disk."""

from services.fetcher.download.errors import FetchError
from services.fetcher.download.fetch import RETRY_LATER, Fetched, Validators, fetch
from services.fetcher.download.transport import make_client

__all__ = ["RETRY_LATER", "FetchError", "Fetched", "Validators", "fetch", "make_client"]
