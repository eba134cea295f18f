"""The asyncio client: ``llmr.AsyncClient`` (same methods as ``llmr.Client``, awaited)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable, Dict, Generic, Iterable, List, Mapping, Optional, Sequence, Tuple, TypeVar, Union

from ._async_transport import AsyncResponse, make_async_transport
from ._base import DEFAULT_TIMEOUT, ClientConfig, decode, encode
from ._requests import chat_body, completion_body, embedding_body, feedback_body
from ._sse import DONE, SseDecoder
from .errors import LlmrError, error_from_event, error_from_response
from .types import (
    ChatCompletion,
    ChatCompletionChunk,
    Completion,
    CompletionChunk,
    DetokenizeResult,
    EmbeddingList,
    FeedbackResult,
    MessageInput,
    Model,
    ModelDetails,
    Routing,
    TokenizeResult,
)

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ._requests import ChatOptions, CompletionOptions

T = TypeVar("T")


class AsyncStream(Generic[T]):
    """Chunks of a streamed answer: ``async for chunk in stream``. ``await stream.close()``
    (or leaving an ``async with`` block) stops the generation on the server."""

    def __init__(self, response: AsyncResponse, parse: Callable[[Dict[str, Any]], T]) -> None:
        self._response = response
        self._parse = parse
        self.routing = Routing.from_headers(response.headers)
        self._chunks = self._iterate()

    async def _iterate(self) -> AsyncIterator[T]:
        decoder = SseDecoder()
        async for line in self._response.iter_lines():
            event = decoder.feed(line)
            if event is None:
                continue
            if event is DONE:
                return
            if isinstance(event, dict) and "error" in event:
                raise error_from_event(event, self.routing.request_id)
            yield self._parse(event)

    def __aiter__(self) -> "AsyncStream[T]":
        return self

    async def __anext__(self) -> T:
        return await self._chunks.__anext__()

    async def text(self) -> str:
        """Reads the rest of the stream and returns its text (first choice)."""
        return "".join([getattr(chunk, "text", "") async for chunk in self])

    async def close(self) -> None:
        await self._chunks.aclose()
        await self._response.close()

    async def __aenter__(self) -> "AsyncStream[T]":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


class AsyncClient:
    """The asyncio twin of :class:`llmr.Client`; see there for the options."""

    def __init__(
        self,
        base_url: Optional[str] = None,
        *,
        api_key: Optional[str] = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = 2,
        transport: Any = "auto",
        headers: Optional[Mapping[str, str]] = None,
    ) -> None:
        self._config = ClientConfig(base_url, api_key, timeout, max_retries, headers)
        self._transport = make_async_transport(transport)

    @property
    def base_url(self) -> str:
        return self._config.base_url

    @property
    def transport(self) -> str:
        return self._transport.name

    async def _send(self, method: str, path: str, body: Optional[Mapping[str, Any]], *, stream: bool = False, timeout: Optional[float] = None) -> AsyncResponse:
        data = encode(body)
        headers = self._config.request_headers(data, stream)
        seconds = timeout or self._config.timeout
        attempt = 0
        while True:
            attempt += 1
            try:
                response = await self._transport.request(method, self._config.url(path), headers, data, seconds)
                if response.status < 400:
                    return response
                raise error_from_response(response.status, response.headers, await response.read(), path=path)
            except LlmrError as error:
                delay = self._config.retry.delay(attempt, error)
                if delay is None:
                    raise
                await asyncio.sleep(delay)

    async def _json(self, method: str, path: str, body: Optional[Mapping[str, Any]] = None, *, timeout: Optional[float] = None) -> Tuple[Any, Routing]:
        response = await self._send(method, path, body, timeout=timeout)
        return decode(response.status, response.headers, await response.read(), path), Routing.from_headers(response.headers)

    async def chat(self, messages: Union[MessageInput, Iterable[MessageInput]], **options: "Unpack[ChatOptions]") -> ChatCompletion:
        data, routing = await self._json("POST", "/v1/chat/completions", chat_body(messages, options, False), timeout=options.get("timeout"))
        return ChatCompletion.from_json(data, routing)

    async def stream_chat(self, messages: Union[MessageInput, Iterable[MessageInput]], **options: "Unpack[ChatOptions]") -> AsyncStream[ChatCompletionChunk]:
        response = await self._send("POST", "/v1/chat/completions", chat_body(messages, options, True), stream=True, timeout=options.get("timeout"))
        return AsyncStream(response, ChatCompletionChunk.from_json)

    async def complete(self, prompt: str, **options: "Unpack[CompletionOptions]") -> Completion:
        data, routing = await self._json("POST", "/v1/completions", completion_body(prompt, options, False), timeout=options.get("timeout"))
        return Completion.from_json(data, routing)

    async def stream_complete(self, prompt: str, **options: "Unpack[CompletionOptions]") -> AsyncStream[CompletionChunk]:
        response = await self._send("POST", "/v1/completions", completion_body(prompt, options, True), stream=True, timeout=options.get("timeout"))
        return AsyncStream(response, CompletionChunk.from_json)

    async def embed(self, input: Union[str, Sequence[str]], *, model: str = "auto", dimensions: Optional[int] = None) -> EmbeddingList:
        data, routing = await self._json("POST", "/v1/embeddings", embedding_body(model, input, dimensions))
        return EmbeddingList.from_json(data, routing)

    async def models(self) -> List[Model]:
        data, _ = await self._json("GET", "/v1/models")
        return [Model.from_json(item) for item in data.get("data") or []]

    async def model(self, model: str) -> ModelDetails:
        from urllib.parse import quote

        data, _ = await self._json("GET", f"/api/models/{quote(model, safe='')}")
        return ModelDetails.from_json(data)

    async def tokenize(self, text: str, *, model: str = "auto") -> TokenizeResult:
        data, routing = await self._json("POST", "/v1/tokenize", {"model": model, "input": text})
        return TokenizeResult(model=str(data.get("model") or routing.model or model), tokens=[int(token) for token in data.get("tokens") or []])

    async def detokenize(self, tokens: Sequence[int], *, model: str = "auto") -> DetokenizeResult:
        data, routing = await self._json("POST", "/v1/detokenize", {"model": model, "tokens": list(tokens)})
        return DetokenizeResult(model=str(data.get("model") or routing.model or model), text=str(data.get("text") or ""))

    async def feedback(
        self,
        request_id: str,
        *,
        score: Optional[float] = None,
        label: Optional[str] = None,
        comment: Optional[str] = None,
        metadata: Optional[Mapping[str, Any]] = None,
    ) -> FeedbackResult:
        data, _ = await self._json("POST", "/v1/feedback", feedback_body(request_id, score, label, comment, metadata))
        return FeedbackResult(accepted=True, raw=data if isinstance(data, dict) else {})

    async def ready(self) -> bool:
        try:
            response = await self._transport.request("GET", self._config.url("/ready"), self._config.request_headers(None, False), None, self._config.timeout)
            await response.read()
        except LlmrError:
            return False
        return response.status == 200

    async def close(self) -> None:
        await self._transport.close()

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
