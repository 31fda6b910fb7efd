"""Content-Encoding decoders whose output per call is bounded, so a compression bomb cannot
materialize more than one piece before the caller's size cap sees it."""

import zlib
from collections.abc import Iterator
from typing import Protocol

import brotli

PIECE_BYTES = 64 * 1024


class DecodeError(Exception):
    pass


class Decoder(Protocol):
    def decode(self, data: bytes) -> Iterator[bytes]: ...


class Identity:
    def decode(self, data: bytes) -> Iterator[bytes]:
        yield data


class Zlib:
    """gzip, or HTTP "deflate", which servers send zlib-wrapped (as the RFC says) or raw."""

    def __init__(self, wbits: int, raw_fallback: bool = False) -> None:
        self.inflater = zlib.decompressobj(wbits)
        self.raw_fallback = raw_fallback
        self.header = b""

    def decode(self, data: bytes) -> Iterator[bytes]:
        while not self.inflater.eof:  # bytes after the end of the stream are ignored
            piece = self._inflate(data)
            data = self.inflater.unconsumed_tail
            if piece:
                yield piece
            # A full piece may leave output pending inside zlib even when all input is consumed.
            if not data and len(piece) < PIECE_BYTES:
                return

    def _inflate(self, data: bytes) -> bytes:
        try:
            piece = self.inflater.decompress(data, PIECE_BYTES)
        except zlib.error as error:
            if not self.raw_fallback:
                raise DecodeError(f"invalid compressed data: {error}") from None
            return self._inflate_raw(self.header + data)
        if self.raw_fallback:
            self.header += data
            self.raw_fallback = len(self.header) < 2  # zlib refuses a bad header by its second byte
        return piece

    def _inflate_raw(self, data: bytes) -> bytes:
        self.raw_fallback = False
        self.inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        return self._inflate(data)


class Brotli:
    def __init__(self) -> None:
        self.decompressor = brotli.Decompressor()

    def decode(self, data: bytes) -> Iterator[bytes]:
        if self.decompressor.is_finished():  # bytes after the end of the stream are ignored
            return
        yield self._process(data)
        # With a limit, brotli keeps the rest of the output for calls with empty input.
        while not self.decompressor.is_finished() and (piece := self._process(b"")):
            yield piece

    def _process(self, data: bytes) -> bytes:
        try:
            return self.decompressor.process(data, output_buffer_limit=PIECE_BYTES)
        except brotli.error as error:
            raise DecodeError(f"invalid brotli data: {error}") from None


class Chain:
    """Several codings ("gzip, br") are undone in reverse order, piece by piece."""

    def __init__(self, decoders: list[Decoder]) -> None:
        self.decoders = decoders

    def decode(self, data: bytes) -> Iterator[bytes]:
        pieces: Iterator[bytes] = iter([data])
        for decoder in self.decoders:
            pieces = _through(decoder, pieces)
        return pieces


def _through(decoder: Decoder, pieces: Iterator[bytes]) -> Iterator[bytes]:
    for piece in pieces:
        yield from decoder.decode(piece)


def decoder_for(content_encoding: str | None) -> Decoder:
    codings = [coding.strip().lower() for coding in (content_encoding or "").split(",")]
    decoders = [_decoder(coding) for coding in reversed(codings) if coding not in ("", "identity")]
    return Chain(decoders) if len(decoders) > 1 else (decoders or [Identity()])[0]


def _decoder(coding: str) -> Decoder:
    if coding in ("gzip", "x-gzip"):
        return Zlib(16 + zlib.MAX_WBITS)
    if coding == "deflate":
        return Zlib(zlib.MAX_WBITS, raw_fallback=True)
    if coding == "br":
        return Brotli()
    raise DecodeError(f"unsupported Content-Encoding {coding[:40]!r}")
