"""Errors raised by the llmr client.

Every failure is an :class:`LlmrError`. HTTP failures carry the status, llmr's error
``code`` (``model_not_found``, ``rate_limit_exceeded``, ...) and, when the server sent
one, ``retry_after`` in seconds. ``retryable`` says whether the same request may succeed
later; the client already retried those up to ``max_retries`` times.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional, Type

__all__ = [
    "LlmrError",
    "APIError",
    "APIConnectionError",
    "APITimeoutError",
    "BadRequestError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "ModelNotFoundError",
    "EndpointNotAvailableError",
    "RequestAbortedError",
    "RateLimitError",
    "InternalServerError",
    "ServiceUnavailableError",
    "UpstreamError",
    "GatewayTimeoutError",
    "StreamError",
    "ServerStartError",
    "error_from_response",
]

# Statuses worth retrying: the same request may succeed later.
RETRYABLE_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})


class LlmrError(Exception):
    """Base class of every error this package raises."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def retryable(self) -> bool:
        return False


class APIError(LlmrError):
    """The server answered with an error (an HTTP status >= 400, or an error in a stream)."""

    def __init__(
        self,
        message: str,
        *,
        status: Optional[int] = None,
        code: Optional[str] = None,
        type: Optional[str] = None,
        param: Optional[str] = None,
        request_id: Optional[str] = None,
        retry_after: Optional[float] = None,
        body: Any = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.type = type
        self.param = param
        self.request_id = request_id
        self.retry_after = retry_after
        self.body = body

    @property
    def retryable(self) -> bool:
        return self.status in RETRYABLE_STATUSES

    def __str__(self) -> str:
        parts = [f"{self.status}" if self.status is not None else None, self.code]
        prefix = " ".join(part for part in parts if part)
        return f"{prefix}: {self.message}" if prefix else self.message

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, "
            f"message={self.message!r})"
        )


class APIConnectionError(LlmrError):
    """The server could not be reached, or the connection broke before an answer."""

    @property
    def retryable(self) -> bool:
        return True


class APITimeoutError(APIConnectionError):
    """No answer (or no next chunk of a stream) within the client's timeout."""


class BadRequestError(APIError):
    """400: the request is invalid; ``param`` names the field to fix."""


class AuthenticationError(APIError):
    """401: a missing or wrong API key."""


class PermissionDeniedError(APIError):
    """403."""


class NotFoundError(APIError):
    """404."""


class ModelNotFoundError(NotFoundError):
    """404 ``model_not_found``: no model, route or alias has that name."""


class EndpointNotAvailableError(NotFoundError):
    """404 ``unknown_route``: this server version does not serve the endpoint."""


class RequestAbortedError(APIError):
    """499: the request was aborted (the server shut it down, or the client went away)."""


class RateLimitError(APIError):
    """429: a rate limit or budget was hit; ``retry_after`` says when to try again."""


class InternalServerError(APIError):
    """500 and other 5xx without a class of their own."""


class UpstreamError(APIError):
    """502: every model (or the upstream provider) failed."""


class ServiceUnavailableError(APIError):
    """503: busy, loading, shutting down, or no model available right now."""


class GatewayTimeoutError(APIError):
    """504: the model did not answer in time."""


class StreamError(APIError):
    """The stream started, then failed; the server sent an error event instead of more text."""

    @property
    def retryable(self) -> bool:
        # A stream that failed part-way is not retried automatically (text was already
        # delivered), but the caller may start over.
        return self.code in {"busy", "timeout", "all_models_failed", "shutting_down", "upstream_error"}


class ServerStartError(LlmrError):
    """``llmr.Server`` could not start ``llmr serve`` or it did not become ready."""


_BY_STATUS: Dict[int, Type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    499: RequestAbortedError,
    429: RateLimitError,
    502: UpstreamError,
    503: ServiceUnavailableError,
    504: GatewayTimeoutError,
}


def parse_retry_after(value: Optional[str]) -> Optional[float]:
    """``Retry-After`` in seconds (the delta form; an HTTP date is read too)."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        from email.utils import parsedate_to_datetime
        import datetime

        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        now = datetime.datetime.now(tz=when.tzinfo or datetime.timezone.utc)
        seconds = (when - now).total_seconds()
    return max(0.0, seconds)


def error_from_response(
    status: int, headers: Mapping[str, str], body: bytes, *, path: str = ""
) -> APIError:
    """The exception for an HTTP error answer (OpenAI's error shape, or any body)."""
    import json

    payload: Any = None
    message = ""
    code: Optional[str] = None
    error_type: Optional[str] = None
    param: Optional[str] = None
    try:
        payload = json.loads(body.decode("utf-8")) if body else None
    except (UnicodeDecodeError, ValueError):
        payload = None
    if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
        error = payload["error"]
        message = str(error.get("message") or "")
        code = error.get("code")
        error_type = error.get("type")
        param = error.get("param")
    if not message:
        text = body[:500].decode("utf-8", errors="replace").strip()
        message = f"HTTP {status}" + (f": {text}" if text else "")
    cls: Type[APIError] = _BY_STATUS.get(status) or (
        InternalServerError if status >= 500 else APIError
    )
    if status == 404 and code == "model_not_found":
        cls = ModelNotFoundError
    elif status == 404 and (code == "unknown_route" or payload is None):
        cls = EndpointNotAvailableError
        message = (
            f"This llmr server does not serve {path or 'this endpoint'} ({message}). "
            "Upgrade the server (`npm i -g @llmr/cli`) or use a method it supports."
        )
    return cls(
        message,
        status=status,
        code=code,
        type=error_type,
        param=param,
        request_id=headers.get("x-request-id"),
        retry_after=parse_retry_after(headers.get("retry-after")),
        body=payload,
    )


def error_from_event(payload: Dict[str, Any], request_id: Optional[str] = None) -> StreamError:
    """The exception for an error event inside a stream: ``{"error": {...}}``."""
    error = payload.get("error") if isinstance(payload.get("error"), dict) else {}
    return StreamError(
        str(error.get("message") or "The stream failed."),
        code=error.get("code"),
        type=error.get("type"),
        param=error.get("param"),
        request_id=request_id,
        body=payload,
    )
