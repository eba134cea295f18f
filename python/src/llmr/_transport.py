"""Blocking HTTP: the standard library (http.client) or httpx when it is installed.

Both give the client the same small interface: a status, lower-cased headers, and the
body read whole or line by line (for server-sent events). Failures to connect or read
become :class:`APIConnectionError` / :class:`APITimeoutError`.
"""

from __future__ import annotations

import http.client
import socket
import ssl
from typing import Any, Dict, Iterator, List, Optional, Protocol
from urllib.parse import urlsplit

from .errors import APIConnectionError, APITimeoutError

# Longest line a stream may send; SSE events are one line of JSON each.
MAX_LINE_BYTES = 8 * 1024 * 1024


class LineSplitter:
    """Bytes as they arrive -> whole lines (with their newline), bounded in length."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._buffer = b""

    def feed(self, chunk: bytes) -> List[bytes]:
        self._buffer += chunk
        lines = self._buffer.split(b"\n")
        self._buffer = lines.pop()
        if len(self._buffer) > MAX_LINE_BYTES:
            raise APIConnectionError(f"A line from {self._url} exceeded {MAX_LINE_BYTES} bytes.")
        return [line + b"\n" for line in lines]

    def rest(self) -> List[bytes]:
        """What is left after the last newline, at the end of the body."""
        rest, self._buffer = self._buffer, b""
        return [rest] if rest else []


class SyncResponse(Protocol):
    status: int
    headers: Dict[str, str]

    def read(self) -> bytes: ...

    def iter_lines(self) -> Iterator[bytes]: ...

    def close(self) -> None: ...


class SyncTransport(Protocol):
    name: str

    def request(
        self, method: str, url: str, headers: Dict[str, str], body: Optional[bytes], timeout: float
    ) -> SyncResponse: ...

    def close(self) -> None: ...


def _connection_error(error: BaseException, url: str, timeout: float) -> Exception:
    if isinstance(error, (socket.timeout, TimeoutError)):
        return APITimeoutError(f"No answer from {url} within {timeout} s. Raise timeout= or check the server.")
    return APIConnectionError(
        f"Cannot reach {url}: {error}. Is the llmr server running (`llmr serve`)?"
    )


class _StdlibResponse:
    def __init__(self, connection: http.client.HTTPConnection, response: http.client.HTTPResponse, url: str, timeout: float) -> None:
        self._connection = connection
        self._response = response
        self._url = url
        self._timeout = timeout
        self.status = response.status
        self.headers = {name.lower(): value for name, value in response.getheaders()}

    def read(self) -> bytes:
        try:
            return self._response.read()
        except (OSError, http.client.HTTPException) as error:
            raise _connection_error(error, self._url, self._timeout) from error
        finally:
            self.close()

    def iter_lines(self) -> Iterator[bytes]:
        try:
            while True:
                line = self._response.readline(MAX_LINE_BYTES + 1)
                if not line:
                    return
                if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
                    raise APIConnectionError(f"A line from {self._url} exceeded {MAX_LINE_BYTES} bytes.")
                yield line
        except (OSError, http.client.HTTPException) as error:
            raise _connection_error(error, self._url, self._timeout) from error
        finally:
            self.close()

    def close(self) -> None:
        # Closing the socket mid-stream is how the server learns to stop generating.
        self._connection.close()


class StdlibTransport:
    """http.client, one connection per request (streams hold theirs until closed)."""

    name = "stdlib"

    def __init__(self, ssl_context: Optional[ssl.SSLContext] = None) -> None:
        self._ssl_context = ssl_context

    def request(
        self, method: str, url: str, headers: Dict[str, str], body: Optional[bytes], timeout: float
    ) -> SyncResponse:
        parts = urlsplit(url)
        host = parts.hostname or "127.0.0.1"
        connection: http.client.HTTPConnection
        if parts.scheme == "https":
            connection = http.client.HTTPSConnection(host, parts.port, timeout=timeout, context=self._ssl_context)
        else:
            connection = http.client.HTTPConnection(host, parts.port, timeout=timeout)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        try:
            connection.request(method, target, body=body, headers=headers)
            response = connection.getresponse()
        except (OSError, http.client.HTTPException) as error:
            connection.close()
            raise _connection_error(error, url, timeout) from error
        return _StdlibResponse(connection, response, url, timeout)

    def close(self) -> None:
        pass


class _HttpxResponse:
    def __init__(self, response: Any, url: str, timeout: float) -> None:
        self._response = response
        self._url = url
        self._timeout = timeout
        self.status = response.status_code
        self.headers = {name.lower(): value for name, value in response.headers.items()}

    def read(self) -> bytes:
        import httpx

        try:
            return bytes(self._response.read())
        except httpx.TimeoutException as error:
            raise APITimeoutError(f"No answer from {self._url} within {self._timeout} s.") from error
        except httpx.HTTPError as error:
            raise APIConnectionError(f"Reading from {self._url} failed: {error}") from error
        finally:
            self.close()

    def iter_lines(self) -> Iterator[bytes]:
        import httpx

        splitter = LineSplitter(self._url)
        try:
            for chunk in self._response.iter_bytes():
                yield from splitter.feed(chunk)
            yield from splitter.rest()
        except httpx.TimeoutException as error:
            raise APITimeoutError(f"No chunk from {self._url} within {self._timeout} s.") from error
        except httpx.HTTPError as error:
            raise APIConnectionError(f"Reading from {self._url} failed: {error}") from error
        finally:
            self.close()

    def close(self) -> None:
        self._response.close()


class HttpxTransport:
    """httpx.Client: pooled keep-alive connections."""

    name = "httpx"

    def __init__(self, client: Any = None) -> None:
        import httpx

        self._client = client if client is not None else httpx.Client()
        self._owned = client is None

    def request(
        self, method: str, url: str, headers: Dict[str, str], body: Optional[bytes], timeout: float
    ) -> SyncResponse:
        import httpx

        request = self._client.build_request(method, url, headers=headers, content=body, timeout=timeout)
        try:
            response = self._client.send(request, stream=True)
        except httpx.TimeoutException as error:
            raise APITimeoutError(f"No answer from {url} within {timeout} s. Raise timeout= or check the server.") from error
        except httpx.HTTPError as error:
            raise APIConnectionError(f"Cannot reach {url}: {error}. Is the llmr server running (`llmr serve`)?") from error
        return _HttpxResponse(response, url, timeout)

    def close(self) -> None:
        if self._owned:
            self._client.close()


def httpx_available() -> bool:
    try:
        import httpx  # noqa: F401
    except ImportError:
        return False
    return True


def make_sync_transport(transport: Any) -> SyncTransport:
    if transport == "stdlib":
        return StdlibTransport()
    if transport == "httpx":
        if not httpx_available():
            raise ImportError("transport='httpx' needs httpx: pip install httpx (or apt install python3-httpx).")
        return HttpxTransport()
    if transport == "auto":
        return HttpxTransport() if httpx_available() else StdlibTransport()
    if hasattr(transport, "request"):
        return transport  # type: ignore[no-any-return]
    raise ValueError(f"transport must be 'auto', 'stdlib', 'httpx' or a transport object; got {transport!r}.")
