"""Typed results: every answer and stream chunk is a dataclass, with the raw JSON kept in ``raw``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Union

__all__ = [
    "ChatMessage",
    "ToolCall",
    "Usage",
    "Routing",
    "ChatChoice",
    "ChatCompletion",
    "ChatDelta",
    "ChatChunkChoice",
    "ChatCompletionChunk",
    "CompletionChoice",
    "Completion",
    "CompletionChunk",
    "Embedding",
    "EmbeddingList",
    "Model",
    "ModelDetails",
    "TokenizeResult",
    "DetokenizeResult",
    "FeedbackResult",
    "MessageInput",
]


@dataclass
class ToolCall:
    id: str
    name: str
    arguments: str
    """The arguments as the model wrote them: a JSON string (parse it with ``json.loads``)."""
    index: int = 0

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "ToolCall":
        function = data.get("function") or {}
        return cls(
            id=str(data.get("id") or ""),
            name=str(function.get("name") or ""),
            arguments=str(function.get("arguments") or ""),
            index=int(data.get("index") or 0),
        )

    def to_json(self) -> Dict[str, Any]:
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": self.arguments},
        }


@dataclass
class ChatMessage:
    role: str
    """``system``, ``developer``, ``user``, ``assistant`` or ``tool``."""
    content: Optional[str] = None
    name: Optional[str] = None
    tool_calls: List[ToolCall] = field(default_factory=list)
    tool_call_id: Optional[str] = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "ChatMessage":
        return cls(
            role=str(data.get("role") or "assistant"),
            content=data.get("content"),
            name=data.get("name"),
            tool_calls=[ToolCall.from_json(call) for call in data.get("tool_calls") or []],
            tool_call_id=data.get("tool_call_id"),
        )

    def to_json(self) -> Dict[str, Any]:
        message: Dict[str, Any] = {"role": self.role, "content": self.content}
        if self.name is not None:
            message["name"] = self.name
        if self.tool_calls:
            message["tool_calls"] = [call.to_json() for call in self.tool_calls]
        if self.tool_call_id is not None:
            message["tool_call_id"] = self.tool_call_id
        return message


MessageInput = Union[str, ChatMessage, Mapping[str, Any]]
"""A message: a dict in OpenAI's shape, a :class:`ChatMessage`, or a string (a user message)."""


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0

    @classmethod
    def from_json(cls, data: Optional[Mapping[str, Any]]) -> Optional["Usage"]:
        if not data:
            return None
        return cls(
            prompt_tokens=int(data.get("prompt_tokens") or 0),
            completion_tokens=int(data.get("completion_tokens") or 0),
            total_tokens=int(data.get("total_tokens") or 0),
        )


@dataclass
class Routing:
    """How llmr's router served a request (the ``x-llmr-*`` response headers)."""

    model: Optional[str] = None
    """The model that answered (a route or ``auto`` resolves to one)."""
    strategy: Optional[str] = None
    attempts: int = 1
    """Models tried, this one included: more than 1 means a fallback happened."""
    cached: bool = False
    request_id: Optional[str] = None

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> "Routing":
        attempts = headers.get("x-llmr-attempts")
        return cls(
            model=headers.get("x-llmr-model"),
            strategy=headers.get("x-llmr-strategy"),
            attempts=int(attempts) if attempts and attempts.isdigit() else 1,
            cached=headers.get("x-llmr-cache") == "hit",
            request_id=headers.get("x-request-id"),
        )


@dataclass
class ChatChoice:
    index: int
    message: ChatMessage
    finish_reason: Optional[str]
    logprobs: Optional[Dict[str, Any]] = None


@dataclass
class ChatCompletion:
    id: str
    model: str
    created: int
    choices: List[ChatChoice]
    usage: Optional[Usage]
    routing: Routing
    raw: Dict[str, Any] = field(repr=False, default_factory=dict)

    @property
    def text(self) -> str:
        """The first choice's text ('' when the model only called tools)."""
        return (self.choices[0].message.content or "") if self.choices else ""

    @classmethod
    def from_json(cls, data: Dict[str, Any], routing: Routing) -> "ChatCompletion":
        return cls(
            id=str(data.get("id") or ""),
            model=str(data.get("model") or ""),
            created=int(data.get("created") or 0),
            choices=[
                ChatChoice(
                    index=int(choice.get("index") or 0),
                    message=ChatMessage.from_json(choice.get("message") or {}),
                    finish_reason=choice.get("finish_reason"),
                    logprobs=choice.get("logprobs"),
                )
                for choice in data.get("choices") or []
            ],
            usage=Usage.from_json(data.get("usage")),
            routing=routing,
            raw=data,
        )


@dataclass
class ChatDelta:
    role: Optional[str] = None
    content: Optional[str] = None
    tool_calls: List[ToolCall] = field(default_factory=list)


@dataclass
class ChatChunkChoice:
    index: int
    delta: ChatDelta
    finish_reason: Optional[str]
    logprobs: Optional[Dict[str, Any]] = None


@dataclass
class ChatCompletionChunk:
    id: str
    model: str
    created: int
    choices: List[ChatChunkChoice]
    usage: Optional[Usage] = None
    """Set on the last chunk when ``include_usage=True``."""
    raw: Dict[str, Any] = field(repr=False, default_factory=dict)

    @property
    def text(self) -> str:
        """The first choice's new text ('' for role, tool-call and finish chunks)."""
        return (self.choices[0].delta.content or "") if self.choices else ""

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> "ChatCompletionChunk":
        choices = []
        for choice in data.get("choices") or []:
            delta = choice.get("delta") or {}
            choices.append(
                ChatChunkChoice(
                    index=int(choice.get("index") or 0),
                    delta=ChatDelta(
                        role=delta.get("role"),
                        content=delta.get("content"),
                        tool_calls=[ToolCall.from_json(call) for call in delta.get("tool_calls") or []],
                    ),
                    finish_reason=choice.get("finish_reason"),
                    logprobs=choice.get("logprobs"),
                )
            )
        return cls(
            id=str(data.get("id") or ""),
            model=str(data.get("model") or ""),
            created=int(data.get("created") or 0),
            choices=choices,
            usage=Usage.from_json(data.get("usage")),
            raw=data,
        )


@dataclass
class CompletionChoice:
    index: int
    text: str
    finish_reason: Optional[str]
    logprobs: Optional[Dict[str, Any]] = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "CompletionChoice":
        return cls(
            index=int(data.get("index") or 0),
            text=str(data.get("text") or ""),
            finish_reason=data.get("finish_reason"),
            logprobs=data.get("logprobs"),
        )


@dataclass
class Completion:
    id: str
    model: str
    created: int
    choices: List[CompletionChoice]
    usage: Optional[Usage]
    routing: Routing
    raw: Dict[str, Any] = field(repr=False, default_factory=dict)

    @property
    def text(self) -> str:
        return self.choices[0].text if self.choices else ""

    @classmethod
    def from_json(cls, data: Dict[str, Any], routing: Routing) -> "Completion":
        return cls(
            id=str(data.get("id") or ""),
            model=str(data.get("model") or ""),
            created=int(data.get("created") or 0),
            choices=[CompletionChoice.from_json(choice) for choice in data.get("choices") or []],
            usage=Usage.from_json(data.get("usage")),
            routing=routing,
            raw=data,
        )


@dataclass
class CompletionChunk:
    id: str
    model: str
    created: int
    choices: List[CompletionChoice]
    usage: Optional[Usage] = None
    raw: Dict[str, Any] = field(repr=False, default_factory=dict)

    @property
    def text(self) -> str:
        return self.choices[0].text if self.choices else ""

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> "CompletionChunk":
        return cls(
            id=str(data.get("id") or ""),
            model=str(data.get("model") or ""),
            created=int(data.get("created") or 0),
            choices=[CompletionChoice.from_json(choice) for choice in data.get("choices") or []],
            usage=Usage.from_json(data.get("usage")),
            raw=data,
        )


@dataclass
class Embedding:
    index: int
    embedding: List[float]


@dataclass
class EmbeddingList:
    data: List[Embedding]
    model: str
    usage: Optional[Usage]
    routing: Routing

    @property
    def vectors(self) -> List[List[float]]:
        return [item.embedding for item in self.data]

    @classmethod
    def from_json(cls, data: Dict[str, Any], routing: Routing) -> "EmbeddingList":
        import base64
        import struct

        items = []
        for item in data.get("data") or []:
            vector = item.get("embedding")
            if isinstance(vector, str):
                raw = base64.b64decode(vector)
                vector = list(struct.unpack(f"<{len(raw) // 4}f", raw))
            items.append(Embedding(index=int(item.get("index") or 0), embedding=[float(x) for x in vector or []]))
        return cls(
            data=items,
            model=str(data.get("model") or ""),
            usage=Usage.from_json(data.get("usage")),
            routing=routing,
        )


@dataclass
class Model:
    id: str
    owned_by: str = "llmr"
    created: int = 0

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Model":
        return cls(
            id=str(data.get("id") or ""),
            owned_by=str(data.get("owned_by") or "llmr"),
            created=int(data.get("created") or 0),
        )


@dataclass
class ModelDetails:
    """A model as llmr's native API describes it (``GET /api/models/{id}``)."""

    id: str
    loaded: bool
    owned_by: Optional[str] = None
    source: Optional[str] = None
    info: Optional[Dict[str, Any]] = None
    """Format, architecture, context length, capabilities: known once loaded."""

    @property
    def capabilities(self) -> List[str]:
        return list((self.info or {}).get("capabilities") or [])

    @property
    def context_length(self) -> Optional[int]:
        value = (self.info or {}).get("contextLength")
        return int(value) if value is not None else None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "ModelDetails":
        return cls(
            id=str(data.get("id") or ""),
            loaded=bool(data.get("loaded")),
            owned_by=data.get("ownedBy"),
            source=data.get("source"),
            info=data.get("info"),
        )


@dataclass
class TokenizeResult:
    model: str
    tokens: List[int]


@dataclass
class DetokenizeResult:
    model: str
    text: str


@dataclass
class FeedbackResult:
    accepted: bool
    raw: Dict[str, Any] = field(repr=False, default_factory=dict)
