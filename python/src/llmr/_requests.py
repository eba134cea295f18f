"""Request bodies and option checks, shared by the sync and async clients (they differ only in how they send)."""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Union

from .types import ChatMessage, MessageInput

from typing import TypedDict

# Bounds on what the client accepts before anything is sent, so a mistake fails here
# with a message that names it instead of as a 400 from the server.
MAX_STOP_SEQUENCES = 16


class SamplingOptions(TypedDict, total=False):
    model: str
    """A model id, a route, an alias, or ``auto`` (the default): llmr's router picks."""
    max_tokens: int
    temperature: float
    top_p: float
    top_k: int
    min_p: float
    repetition_penalty: float
    frequency_penalty: float
    presence_penalty: float
    seed: int
    stop: Union[str, Sequence[str]]
    user: str
    include_usage: bool
    """Streams only: a last chunk carries the token usage."""
    timeout: float
    """Seconds for this call (for a stream: between two chunks), instead of the client's."""
    extra: Mapping[str, Any]
    """More body fields, sent as given."""


class ChatOptions(SamplingOptions, total=False):
    tools: Sequence[Mapping[str, Any]]
    tool_choice: Union[str, Mapping[str, Any]]
    response_format: Mapping[str, Any]
    """``{"type": "json_object"}`` or ``{"type": "json_schema", "json_schema": {...}}``."""
    logprobs: bool
    top_logprobs: int
    parallel_tool_calls: bool


class CompletionOptions(SamplingOptions, total=False):
    logprobs: int
    echo: bool


_SAMPLING_KEYS = set(SamplingOptions.__annotations__)
_CHAT_KEYS = _SAMPLING_KEYS | set(ChatOptions.__annotations__)
_COMPLETION_KEYS = _SAMPLING_KEYS | set(CompletionOptions.__annotations__)
# Options that steer the client, not fields of the request body.
_CLIENT_KEYS = {"include_usage", "timeout", "extra"}


def _check_keys(options: Mapping[str, Any], allowed: Iterable[str], method: str) -> None:
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise TypeError(
            f"{method}() got unknown option(s) {', '.join(unknown)}; known: {', '.join(sorted(allowed))}. "
            "Pass other body fields in extra={...}."
        )


def to_message(message: MessageInput, index: int) -> Dict[str, Any]:
    if isinstance(message, str):
        return {"role": "user", "content": message}
    if isinstance(message, ChatMessage):
        return message.to_json()
    if isinstance(message, Mapping):
        if "role" not in message:
            raise TypeError(f"messages[{index}] has no 'role'; give e.g. {{'role': 'user', 'content': '...'}}.")
        return dict(message)
    raise TypeError(f"messages[{index}] is a {type(message).__name__}; give a str, a dict or an llmr.ChatMessage.")


def _generation_body(options: Mapping[str, Any], stream: bool) -> Dict[str, Any]:
    stop = options.get("stop")
    if stop is not None and not isinstance(stop, str):
        stop = list(stop)
        if len(stop) > MAX_STOP_SEQUENCES:
            raise ValueError(f"stop takes at most {MAX_STOP_SEQUENCES} sequences; got {len(stop)}.")
    body: Dict[str, Any] = {"model": options.get("model") or "auto"}
    for key, value in options.items():
        if key in _CLIENT_KEYS or key == "model" or value is None:
            continue
        body[key] = stop if key == "stop" else value
    if stream:
        body["stream"] = True
        if options.get("include_usage"):
            body["stream_options"] = {"include_usage": True}
    body.update(options.get("extra") or {})
    return body


def chat_body(
    messages: Union[MessageInput, Iterable[MessageInput]], options: Mapping[str, Any], stream: bool
) -> Dict[str, Any]:
    _check_keys(options, _CHAT_KEYS, "stream_chat" if stream else "chat")
    if isinstance(messages, (str, ChatMessage, Mapping)):
        messages = [messages]
    converted: List[Dict[str, Any]] = [to_message(message, index) for index, message in enumerate(messages)]
    if not converted:
        raise ValueError("messages is empty; give at least one message.")
    body = _generation_body(options, stream)
    body["messages"] = converted
    if "tools" in body:
        body["tools"] = [dict(tool) for tool in body["tools"]]
    return body


def completion_body(prompt: str, options: Mapping[str, Any], stream: bool) -> Dict[str, Any]:
    _check_keys(options, _COMPLETION_KEYS, "stream_complete" if stream else "complete")
    if not isinstance(prompt, str):
        raise TypeError(f"prompt must be a str; got {type(prompt).__name__}.")
    body = _generation_body(options, stream)
    body["prompt"] = prompt
    return body


def embedding_body(model: str, input: Union[str, Sequence[str]], dimensions: Optional[int]) -> Dict[str, Any]:
    if not isinstance(input, str):
        input = list(input)
        if not input:
            raise ValueError("input is empty; give a string or a non-empty list of strings.")
    body: Dict[str, Any] = {"model": model, "input": input}
    if dimensions is not None:
        body["dimensions"] = dimensions
    return body


def feedback_body(
    request_id: str,
    score: Optional[float],
    label: Optional[str],
    comment: Optional[str],
    metadata: Optional[Mapping[str, Any]],
) -> Dict[str, Any]:
    if not request_id:
        raise ValueError("request_id is required: use the answer's routing.request_id.")
    if score is not None and not 0.0 <= score <= 1.0:
        raise ValueError(f"score must be within [0, 1]; got {score}.")
    if label is not None and label not in ("up", "down"):
        raise ValueError(f'label must be "up" or "down" (thumbs); got {label!r}.')
    if score is None and label is None:
        raise ValueError("give a score in [0, 1] or a label (\"up\" or \"down\").")
    if metadata:
        raise ValueError("the server does not store feedback metadata; put it in the comment.")
    # The server's feedback API (POST /v1/feedback) names the answer `responseId`.
    body: Dict[str, Any] = {"responseId": request_id}
    for key, value in (("score", score), ("thumbs", label), ("text", comment)):
        if value is not None:
            body[key] = value
    return body
