"""The blocking client: ``llmr.Client``."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Callable, Dict, Generic, Iterable, Iterator, List, Mapping, Optional, Sequence, TypeVar, Union

from ._base import DEFAULT_TIMEOUT, ClientConfig, decode, encode
from ._requests import chat_body, completion_body, embedding_body, feedback_body
from ._sse import DONE, SseDecoder
from ._transport import SyncResponse, make_sync_transport
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


class Stream(Generic[T]):
    """Chunks of a streamed answer, as they arrive. Iterate it; ``close()`` (or leaving a
    ``with`` block) stops the generation on the server. ``routing`` is known before the
    first chunk."""

    def __init__(self, response: SyncResponse, parse: Callable[[Dict[str, Any]], T]) -> None:
        self._response = response
        self._parse = parse
        self.routing = Routing.from_headers(response.headers)
        self._chunks = self._iterate()

    def _iterate(self) -> Iterator[T]:
        decoder = SseDecoder()
        for line in self._response.iter_lines():
            event = decoder.feed(line)
            if event is None:
                continue
            if event is DONE:
                return
            if isinstance(event, dict) and "error" in event:
                raise error_from_event(event, self.routing.request_id)
            yield self._parse(event)

    def __iter__(self) -> Iterator[T]:
        return self

    def __next__(self) -> T:
        return next(self._chunks)

    def text(self) -> str:
        """Reads the rest of the stream and returns its text (first choice)."""
        return "".join(getattr(chunk, "text", "") for chunk in self)

    def close(self) -> None:
        self._chunks.close()
        self._response.close()

    def __enter__(self) -> "Stream[T]":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Client:
    """A client for an llmr server.

    ``base_url`` defaults to ``LLMR_BASE_URL`` or ``http://127.0.0.1:8080``; ``api_key`` to
    ``LLMR_API_KEY``. ``transport`` is ``"auto"`` (httpx when installed, else the standard
    library), ``"stdlib"`` or ``"httpx"``. Connection failures, 408, 409, 429 and 5xx are
    retried up to ``max_retries`` times, honouring Retry-After.
    """

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
        self._transport = make_sync_transport(transport)

    @property
    def base_url(self) -> str:
        return self._config.base_url

    @property
    def transport(self) -> str:
        """``stdlib`` or ``httpx``: which HTTP library this client uses."""
        return self._transport.name

    # ------------------------------------------------------------------ plumbing

    def _send(self, method: str, path: str, body: Optional[Mapping[str, Any]], *, stream: bool = False, timeout: Optional[float] = None) -> SyncResponse:
        data = encode(body)
        headers = self._config.request_headers(data, stream)
        seconds = timeout or self._config.timeout
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._transport.request(method, self._config.url(path), headers, data, seconds)
                if response.status < 400:
                    return response
                raise error_from_response(response.status, response.headers, response.read(), path=path)
            except LlmrError as error:
                delay = self._config.retry.delay(attempt, error)
                if delay is None:
                    raise
                time.sleep(delay)

    def _json(self, method: str, path: str, body: Optional[Mapping[str, Any]] = None, *, timeout: Optional[float] = None) -> "tuple[Any, Routing]":
        response = self._send(method, path, body, timeout=timeout)
        return decode(response.status, response.headers, response.read(), path), Routing.from_headers(response.headers)

    # ------------------------------------------------------------------ generation

    def chat(self, messages: Union[MessageInput, Iterable[MessageInput]], **options: "Unpack[ChatOptions]") -> ChatCompletion:
        """A chat completion. ``messages``: a string, a dict, a ChatMessage, or a list of them."""
        data, routing = self._json("POST", "/v1/chat/completions", chat_body(messages, options, False), timeout=options.get("timeout"))
        return ChatCompletion.from_json(data, routing)

    def stream_chat(self, messages: Union[MessageInput, Iterable[MessageInput]], **options: "Unpack[ChatOptions]") -> Stream[ChatCompletionChunk]:
        response = self._send("POST", "/v1/chat/completions", chat_body(messages, options, True), stream=True, timeout=options.get("timeout"))
        return Stream(response, ChatCompletionChunk.from_json)

    def complete(self, prompt: str, **options: "Unpack[CompletionOptions]") -> Completion:
        """A raw text completion of ``prompt`` (no chat template)."""
        data, routing = self._json("POST", "/v1/completions", completion_body(prompt, options, False), timeout=options.get("timeout"))
        return Completion.from_json(data, routing)

    def stream_complete(self, prompt: str, **options: "Unpack[CompletionOptions]") -> Stream[CompletionChunk]:
        response = self._send("POST", "/v1/completions", completion_body(prompt, options, True), stream=True, timeout=options.get("timeout"))
        return Stream(response, CompletionChunk.from_json)

    # ------------------------------------------------------------------ other endpoints

    def embed(self, input: Union[str, Sequence[str]], *, model: str = "auto", dimensions: Optional[int] = None) -> EmbeddingList:
        data, routing = self._json("POST", "/v1/embeddings", embedding_body(model, input, dimensions))
        return EmbeddingList.from_json(data, routing)

    def models(self) -> List[Model]:
        data, _ = self._json("GET", "/v1/models")
        return [Model.from_json(item) for item in data.get("data") or []]

    def model(self, model: str) -> ModelDetails:
        """One model, route or alias with its state and info (llmr's native API)."""
        from urllib.parse import quote

        data, _ = self._json("GET", f"/api/models/{quote(model, safe='')}")
        return ModelDetails.from_json(data)

    def tokenize(self, text: str, *, model: str = "auto") -> TokenizeResult:
        """Token ids of ``text`` under ``model``'s tokenizer (``POST /v1/tokenize``)."""
        data, routing = self._json("POST", "/v1/tokenize", {"model": model, "input": text})
        return TokenizeResult(model=str(data.get("model") or routing.model or model), tokens=[int(token) for token in data.get("tokens") or []])

    def detokenize(self, tokens: Sequence[int], *, model: str = "auto") -> DetokenizeResult:
        data, routing = self._json("POST", "/v1/detokenize", {"model": model, "tokens": list(tokens)})
        return DetokenizeResult(model=str(data.get("model") or routing.model or model), text=str(data.get("text") or ""))

    def feedback(
        self,
        request_id: str,
        *,
        score: Optional[float] = None,
        label: Optional[str] = None,
        comment: Optional[str] = None,
        metadata: Optional[Mapping[str, Any]] = None,
    ) -> FeedbackResult:
        """Feedback on one answer (``POST /v1/feedback``); ``request_id`` is ``answer.routing.request_id``.
        A server without the endpoint raises :class:`EndpointNotAvailableError`."""
        data, _ = self._json("POST", "/v1/feedback", feedback_body(request_id, score, label, comment, metadata))
        return FeedbackResult(accepted=True, raw=data if isinstance(data, dict) else {})

    def ready(self) -> bool:
        """True when the server has its default model loaded (``GET /ready``)."""
        try:
            response = self._transport.request("GET", self._config.url("/ready"), self._config.request_headers(None, False), None, self._config.timeout)
            response.read()
        except LlmrError:
            return False
        return response.status == 200

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
