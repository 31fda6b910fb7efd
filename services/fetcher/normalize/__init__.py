"""Raw items → unique Jobs, and a failed status for each item that cannot become one."""

from services.fetcher.normalize.feed import FeedNormalizer
from services.fetcher.normalize.item import InvalidItem, normalize_item

__all__ = ["FeedNormalizer", "InvalidItem", "normalize_item"]
