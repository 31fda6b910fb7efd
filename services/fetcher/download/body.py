"""Read a response body into a spooled file: decoded by bounded decoders, capped on decoded bytes."""

import tempfile
from typing import IO

import httpx

from services.fetcher.download.decompress import DecodeError, Decoder, Identity, decoder_for
from services.fetcher.download.errors import FetchError

SPOOL_IN_MEMORY_BYTES = 1024 * 1024  # bigger bodies go to a temporary file


async def spool_body(response: httpx.Response, max_bytes: int) -> tuple[IO[bytes], int]:
    try:
        decoder = decoder_for(response.headers.get("content-encoding"))
    except DecodeError as error:
        raise FetchError(str(error), response.status_code) from None
    # Not a `with` block: on success the open file is handed to the caller (Fetched.close()).
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES)  # noqa: SIM115
    try:
        size = await _write_decoded(response, decoder, spool, max_bytes)
    except BaseException as error:
        spool.close()
        if isinstance(error, DecodeError):
            raise FetchError(f"cannot decode the response: {error}", response.status_code) from None
        raise
    spool.seek(0)
    return spool, size


async def _write_decoded(response: httpx.Response, decoder: Decoder, spool: IO[bytes], max_bytes: int) -> int:
    received = size = 0
    if _declared_length(response) > max_bytes:
        raise _too_large(Identity(), max_bytes, response.status_code)
    async for raw in response.aiter_raw():
        received += len(raw)
        # Real compression only grows a body when decoded; raw bytes that decode to (almost) nothing
        # (padding, bytes after the end of the stream) must not stream in forever either.
        if received > max_bytes:
            raise _too_large(Identity(), max_bytes, response.status_code)
        for piece in decoder.decode(raw):
            size += len(piece)
            if size > max_bytes:
                raise _too_large(decoder, max_bytes, response.status_code)
            spool.write(piece)
    return size


def _declared_length(response: httpx.Response) -> int:
    declared = response.headers.get("content-length", "").strip()
    return int(declared) if declared.isdigit() else 0


def _too_large(decoder: Decoder, max_bytes: int, http_status: int) -> FetchError:
    what = "response" if isinstance(decoder, Identity) else "decompressed response"
    return FetchError(f"{what} larger than {max_bytes} bytes", http_status)
