"""Decoding Content-Encoding in bounded pieces, so a size cap sees a bomb before it explodes."""

import gzip
import zlib
from collections.abc import Callable

import brotli
import pytest

from services.fetcher.download.decompress import PIECE_BYTES, DecodeError, Decoder, decoder_for

FEED = (
    b"<rss><channel><title>Jobs</title>"
    + b"<item><title>Engineer</title></item>" * 20_000
    + b"</channel></rss>"
)
RAW_DEFLATE = (lambda compressor: compressor.compress(FEED) + compressor.flush())(zlib.compressobj(wbits=-15))


def decode_all(decoder: Decoder, data: bytes, chunk: int = 65536) -> list[bytes]:
    return [
        piece for start in range(0, len(data), chunk) for piece in decoder.decode(data[start : start + chunk])
    ]


class TestDecoding:
    @pytest.mark.parametrize(
        ("coding", "encoded"),
        [
            ("gzip", gzip.compress(FEED)),
            ("x-gzip", gzip.compress(FEED)),
            ("deflate", zlib.compress(FEED)),
            ("deflate", RAW_DEFLATE),
            ("br", brotli.compress(FEED)),
            ("identity", FEED),
            (None, FEED),
            ("gzip, br", brotli.compress(gzip.compress(FEED))),
        ],
    )
    @pytest.mark.parametrize("chunk", [1, 3, 65536])
    def test_every_supported_coding_gives_back_the_original_bytes(
        self, coding: str | None, encoded: bytes, chunk: int
    ) -> None:
        assert b"".join(decode_all(decoder_for(coding), encoded, chunk)) == FEED

    def test_bytes_after_the_end_of_a_gzip_stream_are_ignored(self) -> None:
        assert b"".join(decode_all(decoder_for("gzip"), gzip.compress(FEED) + b"trailing junk")) == FEED


class TestBombs:
    @pytest.mark.parametrize(
        ("coding", "compress"),
        [("gzip", gzip.compress), ("deflate", zlib.compress), ("br", brotli.compress)],
    )
    def test_a_highly_compressed_chunk_comes_out_in_bounded_pieces(
        self, coding: str, compress: Callable[[bytes], bytes]
    ) -> None:
        bomb = compress(bytes(16 * 1024 * 1024))
        pieces = decoder_for(coding).decode(bomb)
        first_pieces = [next(pieces) for _ in range(10)]
        # brotli's output limit is a soft one: it may finish the block it is writing.
        assert max(len(piece) for piece in first_pieces) <= 2 * PIECE_BYTES


class TestRefusals:
    def test_an_unknown_content_encoding_is_refused(self) -> None:
        with pytest.raises(DecodeError, match="unsupported Content-Encoding 'zstd'"):
            decoder_for("zstd")

    @pytest.mark.parametrize("coding", ["gzip", "deflate", "br"])
    def test_corrupt_data_is_a_decode_error(self, coding: str) -> None:
        with pytest.raises(DecodeError):
            decode_all(decoder_for(coding), b"this was never compressed" * 10)
