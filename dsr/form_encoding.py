"""Forms must be UTF-8 (issue 12, defect 8).

Starlette decodes form fields leniently: a percent-escape that is not UTF-8 becomes U+FFFD, a
raw byte becomes its Latin-1 letter, so a form could store text the JSON API refuses. This
middleware checks every url-encoded and multipart body as it streams past, the text of each
field (names, values, a multipart part's headers; not the contents of uploaded files), and
answers 400 before any route sees a form that is not UTF-8: nothing is stored. It holds no more
than one field's pending bytes (url-encoded) or a decoder's few bytes (multipart)."""

from __future__ import annotations

import codecs
from typing import Any
from urllib.parse import unquote_to_bytes

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

NOT_UTF8 = "the form is not valid UTF-8: send it from the page, or encode it as UTF-8"
URLENCODED = b"application/x-www-form-urlencoded"
MULTIPART = b"multipart/form-data"


class NotUtf8(HTTPException):
    """Raised from receive(): FastAPI's form parsing re-raises an HTTPException as it is, so
    the app's handler answers 400 in the page's or the API's format."""

    def __init__(self) -> None:
        super().__init__(status_code=400, detail=NOT_UTF8)


class _UrlEncodedCheck:
    def __init__(self) -> None:
        self._pending = b""

    def feed(self, chunk: bytes, *, final: bool) -> None:
        fields = (self._pending + chunk).split(b"&")
        self._pending = b"" if final else fields.pop()
        for field in fields:
            for part in field.split(b"=", 1):
                unquote_to_bytes(part.replace(b"+", b" ")).decode("utf-8")


class _MultipartCheck:
    """Follows the parts with python-multipart's own parser: each part's headers, and the data
    of each part that is not a file, through an incremental (strict) UTF-8 decoder. A body the
    parser cannot follow is left to the route's parser, which refuses it."""

    def __init__(self, boundary: bytes) -> None:
        self._field = bytearray()
        self._value = bytearray()
        self._is_file = False
        self._decoder: codecs.IncrementalDecoder | None = None
        callbacks: Any = {
            "on_part_begin": self._begin,
            "on_header_field": lambda data, start, end: self._field.extend(data[start:end]),
            "on_header_value": lambda data, start, end: self._value.extend(data[start:end]),
            "on_header_end": self._header_done,
            "on_headers_finished": self._headers_done,
            "on_part_data": self._data,
            "on_part_end": self._end,
        }
        self._parser: MultipartParser | None = MultipartParser(boundary, callbacks)

    def _begin(self) -> None:
        self._is_file = False
        self._decoder = None

    def _header_done(self) -> None:
        field, value = bytes(self._field), bytes(self._value)
        self._field.clear()
        self._value.clear()
        value.decode("utf-8")  # a field's name, a file's name
        if field.lower() == b"content-disposition":
            self._is_file = b"filename" in parse_options_header(value)[1]

    def _headers_done(self) -> None:
        if not self._is_file:
            self._decoder = codecs.getincrementaldecoder("utf-8")("strict")

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self._decoder is not None:
            self._decoder.decode(data[start:end])

    def _end(self) -> None:
        if self._decoder is not None:
            self._decoder.decode(b"", final=True)

    def feed(self, chunk: bytes, *, final: bool) -> None:
        if self._parser is None:
            return
        try:
            self._parser.write(chunk)
            if final:
                self._parser.finalize()
        except UnicodeDecodeError:
            raise
        except (FormParserError, ValueError):
            self._parser = None


class StrictFormEncoding:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        check = _check_for(scope) if scope["type"] == "http" else None
        if check is None:
            await self.app(scope, receive, send)
            return

        async def checked_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                try:
                    check.feed(message.get("body", b""), final=not message.get("more_body"))
                except UnicodeDecodeError:
                    raise NotUtf8 from None
            return message

        await self.app(scope, checked_receive, send)


def _check_for(scope: Scope) -> _UrlEncodedCheck | _MultipartCheck | None:
    if scope["method"] in ("GET", "HEAD", "OPTIONS"):
        return None
    raw = dict(scope.get("headers") or []).get(b"content-type", b"")
    kind, options = parse_options_header(raw)
    if kind == URLENCODED:
        return _UrlEncodedCheck()
    boundary = options.get(b"boundary")
    if kind == MULTIPART and boundary:
        return _MultipartCheck(boundary)
    return None
