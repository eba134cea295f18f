"""Non-blocking HTTP: asyncio streams (HTTP/1.1 by hand, standard library only) or httpx.AsyncClient.

Every read waits at most ``timeout`` seconds; for a stream that is the time between two
chunks, so a long generation is fine as long as tokens keep coming.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Any, AsyncIterator, Awaitable, Dict, Optional, Protocol, TypeVar
from urllib.parse import urlsplit

from ._transport import MAX_LINE_BYTES, LineSplitter, httpx_available
from .errors import APIConnectionError, APITimeoutError

# Bounds on what the hand-written HTTP reader accepts.
MAX_HEADER_BYTES = 64 * 1024
MAX_HEADERS = 100
MAX_BODY_BYTES = 256 * 1024 * 1024

T = TypeVar("T")


class AsyncResponse(Protocol):
    status: int
    headers: Dict[str, str]

    async def read(self) -> bytes: ...

    def iter_lines(self) -> AsyncIterator[bytes]: ...

    async def close(self) -> None: ...


class AsyncTransport(Protocol):
    name: str

    async def request(
        self, method: str, url: str, headers: Dict[str, str], body: Optional[bytes], timeout: float
    ) -> AsyncResponse: ...

    async def close(self) -> None: ...


class _StreamResponse:
    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        status: int,
        headers: Dict[str, str],
        url: str,
        timeout: float,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self.status = status
        self.headers = headers
        self._url = url
        self._timeout = timeout
        self._chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        length = headers.get("content-length")
        self._remaining: Optional[int] = int(length) if length and length.isdigit() else None

    async def _wait(self, operation: Awaitable[T]) -> T:
        try:
            return await asyncio.wait_for(operation, self._timeout)
        except asyncio.TimeoutError as error:
            raise APITimeoutError(f"No data from {self._url} within {self._timeout} s.") from error
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as error:
            raise APIConnectionError(f"Reading from {self._url} failed: {error!r}") from error

    async def _chunks(self) -> AsyncIterator[bytes]:
        """The body's bytes, de-chunked, as they arrive."""
        total = 0
        if self._chunked:
            while True:
                size_line = await self._wait(self._reader.readline())
                size_text = size_line.split(b";", 1)[0].strip()
                try:
                    size = int(size_text, 16)
                except ValueError as error:
                    raise APIConnectionError(f"Bad chunk size {size_text!r} from {self._url}.") from error
                if size == 0:
                    # Trailers, up to the blank line.
                    while (await self._wait(self._reader.readline())).strip():
                        pass
                    return
                total += size
                if total > MAX_BODY_BYTES:
                    raise APIConnectionError(f"The body from {self._url} exceeded {MAX_BODY_BYTES} bytes.")
                data = await self._wait(self._reader.readexactly(size))
                await self._wait(self._reader.readexactly(2))
                yield data
        elif self._remaining is not None:
            if self._remaining > MAX_BODY_BYTES:
                raise APIConnectionError(f"The body from {self._url} exceeds {MAX_BODY_BYTES} bytes.")
            while self._remaining > 0:
                data = await self._wait(self._reader.read(min(self._remaining, 65536)))
                if not data:
                    raise APIConnectionError(f"{self._url} closed the connection mid-body.")
                self._remaining -= len(data)
                yield data
        else:
            while True:
                data = await self._wait(self._reader.read(65536))
                if not data:
                    return
                total += len(data)
                if total > MAX_BODY_BYTES:
                    raise APIConnectionError(f"The body from {self._url} exceeded {MAX_BODY_BYTES} bytes.")
                yield data

    async def read(self) -> bytes:
        try:
            return b"".join([chunk async for chunk in self._chunks()])
        finally:
            await self.close()

    async def iter_lines(self) -> AsyncIterator[bytes]:
        splitter = LineSplitter(self._url)
        try:
            async for chunk in self._chunks():
                for line in splitter.feed(chunk):
                    yield line
            for line in splitter.rest():
                yield line
        finally:
            await self.close()

    async def close(self) -> None:
        # Closing the connection mid-stream is how the server learns to stop generating.
        if not self._writer.is_closing():
            self._writer.close()
        try:
            await asyncio.wait_for(self._writer.wait_closed(), 1.0)
        except (OSError, asyncio.TimeoutError):
            pass


class AsyncStdlibTransport:
    """asyncio.open_connection and HTTP/1.1 written by hand; one connection per request."""

    name = "stdlib"

    def __init__(self, ssl_context: Optional[ssl.SSLContext] = None) -> None:
        self._ssl_context = ssl_context

    async def request(
        self, method: str, url: str, headers: Dict[str, str], body: Optional[bytes], timeout: float
    ) -> AsyncResponse:
        parts = urlsplit(url)
        host = parts.hostname or "127.0.0.1"
        secure = parts.scheme == "https"
        port = parts.port or (443 if secure else 80)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(
                    host,
                    port,
                    ssl=(self._ssl_context or ssl.create_default_context()) if secure else None,
                    limit=MAX_LINE_BYTES,
                ),
                timeout,
            )
        except asyncio.TimeoutError as error:
            raise APITimeoutError(f"Cannot connect to {url} within {timeout} s.") from error
        except OSError as error:
            raise APIConnectionError(
                f"Cannot reach {url}: {error}. Is the llmr server running (`llmr serve`)?"
            ) from error
        lines = [f"{method} {target} HTTP/1.1", f"Host: {parts.netloc}", "Connection: close"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        lines.append(f"Content-Length: {len(body or b'')}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        try:
            writer.write(head + (body or b""))
            await asyncio.wait_for(writer.drain(), timeout)
            status_line = await asyncio.wait_for(reader.readline(), timeout)
            fields = status_line.decode("latin-1").split(" ", 2)
            if len(fields) < 2 or not fields[0].startswith("HTTP/") or not fields[1].isdigit():
                raise APIConnectionError(f"{url} did not answer HTTP: {status_line[:100]!r}.")
            response_headers: Dict[str, str] = {}
            size = 0
            while True:
                line = await asyncio.wait_for(reader.readline(), timeout)
                size += len(line)
                if size > MAX_HEADER_BYTES or len(response_headers) > MAX_HEADERS:
                    raise APIConnectionError(f"The headers from {url} exceed {MAX_HEADER_BYTES} bytes.")
                if line in (b"\r\n", b"\n", b""):
                    break
                name, _, value = line.decode("latin-1").partition(":")
                response_headers[name.strip().lower()] = value.strip()
        except asyncio.TimeoutError as error:
            writer.close()
            raise APITimeoutError(f"No answer from {url} within {timeout} s. Raise timeout= or check the server.") from error
        except (OSError, ValueError) as error:
            writer.close()
            raise APIConnectionError(f"The connection to {url} failed: {error!r}") from error
        except APIConnectionError:
            writer.close()
            raise
        return _StreamResponse(reader, writer, int(fields[1]), response_headers, url, timeout)

    async def close(self) -> None:
        pass


class _AsyncHttpxResponse:
    def __init__(self, response: Any, url: str, timeout: float) -> None:
        self._response = response
        self._url = url
        self._timeout = timeout
        self.status = response.status_code
        self.headers = {name.lower(): value for name, value in response.headers.items()}

    async def read(self) -> bytes:
        import httpx

        try:
            return bytes(await self._response.aread())
        except httpx.TimeoutException as error:
            raise APITimeoutError(f"No answer from {self._url} within {self._timeout} s.") from error
        except httpx.HTTPError as error:
            raise APIConnectionError(f"Reading from {self._url} failed: {error}") from error
        finally:
            await self.close()

    async def iter_lines(self) -> AsyncIterator[bytes]:
        import httpx

        splitter = LineSplitter(self._url)
        try:
            async for chunk in self._response.aiter_bytes():
                for line in splitter.feed(chunk):
                    yield line
            for line in splitter.rest():
                yield line
        except httpx.TimeoutException as error:
            raise APITimeoutError(f"No chunk from {self._url} within {self._timeout} s.") from error
        except httpx.HTTPError as error:
            raise APIConnectionError(f"Reading from {self._url} failed: {error}") from error
        finally:
            await self.close()

    async def close(self) -> None:
        await self._response.aclose()


class AsyncHttpxTransport:
    name = "httpx"

    def __init__(self, client: Any = None) -> None:
        import httpx

        self._client = client if client is not None else httpx.AsyncClient()
        self._owned = client is None

    async def request(
        self, method: str, url: str, headers: Dict[str, str], body: Optional[bytes], timeout: float
    ) -> AsyncResponse:
        import httpx

        request = self._client.build_request(method, url, headers=headers, content=body, timeout=timeout)
        try:
            response = await self._client.send(request, stream=True)
        except httpx.TimeoutException as error:
            raise APITimeoutError(f"No answer from {url} within {timeout} s. Raise timeout= or check the server.") from error
        except httpx.HTTPError as error:
            raise APIConnectionError(f"Cannot reach {url}: {error}. Is the llmr server running (`llmr serve`)?") from error
        return _AsyncHttpxResponse(response, url, timeout)

    async def close(self) -> None:
        if self._owned:
            await self._client.aclose()


def make_async_transport(transport: Any) -> AsyncTransport:
    if transport == "stdlib":
        return AsyncStdlibTransport()
    if transport == "httpx":
        if not httpx_available():
            raise ImportError("transport='httpx' needs httpx: pip install httpx (or apt install python3-httpx).")
        return AsyncHttpxTransport()
    if transport == "auto":
        return AsyncHttpxTransport() if httpx_available() else AsyncStdlibTransport()
    if hasattr(transport, "request"):
        return transport  # type: ignore[no-any-return]
    raise ValueError(f"transport must be 'auto', 'stdlib', 'httpx' or a transport object; got {transport!r}.")
