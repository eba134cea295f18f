"""llmr for Python: a client for an llmr server (chat, completions, embeddings, streaming,
routing metadata) and ``llmr.Server``, which runs a local ``llmr serve``.

    import llmr
    with llmr.Server() as server:
        print(server.client().chat("Hello!").text)
"""

# Code generated from llmr's .proto files lands in `llmr.v1` (the proto package is
# llmr.v1): a directory holding a generated `llmr/v1/` on sys.path joins this package.
__path__ = __import__("pkgutil").extend_path(__path__, __name__)

from ._version import __version__  # noqa: E402
from .async_client import AsyncClient, AsyncStream
from .client import Client, Stream
from .errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    EndpointNotAvailableError,
    GatewayTimeoutError,
    InternalServerError,
    LlmrError,
    ModelNotFoundError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestAbortedError,
    ServerStartError,
    ServiceUnavailableError,
    StreamError,
    UpstreamError,
)
from .server import Server
from .types import (
    ChatChoice,
    ChatChunkChoice,
    ChatCompletion,
    ChatCompletionChunk,
    ChatDelta,
    ChatMessage,
    Completion,
    CompletionChoice,
    CompletionChunk,
    DetokenizeResult,
    Embedding,
    EmbeddingList,
    FeedbackResult,
    Model,
    ModelDetails,
    Routing,
    TokenizeResult,
    ToolCall,
    Usage,
)

__all__ = [
    "__version__",
    "Client",
    "AsyncClient",
    "Stream",
    "AsyncStream",
    "Server",
    "LlmrError",
    "APIError",
    "APIConnectionError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "EndpointNotAvailableError",
    "GatewayTimeoutError",
    "InternalServerError",
    "ModelNotFoundError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestAbortedError",
    "ServerStartError",
    "ServiceUnavailableError",
    "StreamError",
    "UpstreamError",
    "ChatChoice",
    "ChatChunkChoice",
    "ChatCompletion",
    "ChatCompletionChunk",
    "ChatDelta",
    "ChatMessage",
    "Completion",
    "CompletionChoice",
    "CompletionChunk",
    "DetokenizeResult",
    "Embedding",
    "EmbeddingList",
    "FeedbackResult",
    "Model",
    "ModelDetails",
    "Routing",
    "TokenizeResult",
    "ToolCall",
    "Usage",
]
