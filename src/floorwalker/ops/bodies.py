"""Request bodies from untrusted clients: compressed bodies and nesting depth.

Segment's and RudderStack's libraries gzip their bodies (``Content-Encoding: gzip``).
A body is inflated as it arrives and never past the size limit, so a compression bomb
costs at most ``limit`` bytes of memory. JSON nesting is measured on the raw bytes before
any decoder sees them: recursive decoders fail on a few thousand brackets.
"""

from __future__ import annotations

import re
import zlib
from itertools import accumulate

from floorwalker.errors import ApiError

MAX_JSON_DEPTH = 100
"""Objects and arrays nest at most this deep in any JSON document a client sends."""

ENCODINGS = ("gzip", "x-gzip", "deflate", "identity")


def too_large(limit: int) -> ApiError:
    """413 ``payload_too_large``: the body (after decompression) passes ``limit`` bytes."""
    return ApiError(413, "payload_too_large", f"The body is larger than {limit} bytes "
                    "(after decompression).")


class Inflater:
    """Inflate a gzip or deflate body chunk by chunk, refusing output past ``limit`` bytes."""

    def __init__(self, encoding: str, limit: int) -> None:
        self.encoding = encoding
        self.limit = limit
        self.size = 0
        self.fed = False
        self.obj: zlib._Decompress | None = None
        self.parts: list[bytes] = []

    def feed(self, data: bytes) -> None:
        """Inflate ``data``; 413 as soon as the output passes the limit."""
        first, self.fed = not self.fed, True
        while data:
            if self.obj is None:
                # 32 + 15: a gzip or a zlib header, whichever it is.
                self.obj = zlib.decompressobj(47)
            try:
                out = self.obj.decompress(data, self.limit + 1 - self.size)
            except zlib.error:
                if first and self.encoding == "deflate" and not self.parts:
                    # "deflate" sent raw, without the zlib header: some clients do.
                    first = False
                    self.obj = zlib.decompressobj(-15)
                    continue
                raise self._invalid() from None
            self._take(out)
            if self.obj.unconsumed_tail:
                # Output stopped at the limit with input left: a bomb, never inflated whole.
                raise too_large(self.limit)
            if not self.obj.eof:
                return
            # Concatenated gzip members are one body (gzip allows it); trailing NULs pad.
            data = self.obj.unused_data.lstrip(b"\0")
            self.obj = None

    def _take(self, out: bytes) -> None:
        self.size += len(out)
        if self.size > self.limit:
            raise too_large(self.limit)
        self.parts.append(out)

    def _invalid(self) -> ApiError:
        return ApiError(400, "invalid_compression", f"The body is not valid {self.encoding} "
                        "data; compress it as Content-Encoding says, or send it uncompressed.")

    def finish(self) -> bytes:
        """The whole inflated body; 400 when the compressed stream stopped short."""
        if self.obj is not None:
            try:
                self._take(self.obj.flush())
            except zlib.error:
                raise self._invalid() from None
            if not self.obj.eof:
                raise self._invalid()
        return b"".join(self.parts)


def content_encoding(header: str | None) -> str:
    """The one supported encoding named by ``Content-Encoding``; 415 for anything else."""
    value = (header or "identity").strip().lower() or "identity"
    if value not in ENCODINGS:
        raise ApiError(415, "unsupported_encoding",
                       f"Content-Encoding {value[:40]!r} is not supported; send gzip, deflate "
                       "or an uncompressed body.")
    return value


# A JSON string (escapes included), and everything that is not a bracket.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = [0] * 256
_STEP[ord("[")] = _STEP[ord("{")] = 1
_STEP[ord("]")] = _STEP[ord("}")] = -1


def too_deep(body: bytes | str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether objects and arrays nest deeper than ``limit`` in ``body``.

    Brackets inside strings do not count. An unterminated string counts its brackets,
    which only errs towards refusing a body that is not valid JSON anyway.
    """
    raw = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False  # the usual small document cannot nest deeper than its bracket count
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0) > limit


def check_json_depth(body: bytes | str, limit: int = MAX_JSON_DEPTH) -> None:
    """422 ``limit_exceeded`` when ``body`` nests deeper than ``limit``, before decoding."""
    if too_deep(body, limit):
        raise ApiError(422, "limit_exceeded",
                       f"The JSON document nests deeper than {limit} levels of objects and "
                       "arrays.", [{"path": "$", "problem": f"nested deeper than {limit}"}])
