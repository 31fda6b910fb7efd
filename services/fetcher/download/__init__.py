"""Download a feed: checked addresses, bounded decoding, a size cap and a body spooled to disk."""
