"""What the sync and async clients share: configuration, URLs, headers, decoding answers."""

from __future__ import annotations

import json
import os
from typing import Any, Dict, Mapping, Optional

from ._retry import RetryPolicy
from ._version import __version__
from .errors import APIConnectionError, error_from_response

DEFAULT_BASE_URL = "http://127.0.0.1:8080"
DEFAULT_TIMEOUT = 60.0


class ClientConfig:
    def __init__(
        self,
        base_url: Optional[str],
        api_key: Optional[str],
        timeout: float,
        max_retries: int,
        headers: Optional[Mapping[str, str]],
    ) -> None:
        url = (base_url or os.environ.get("LLMR_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        # Accept an OpenAI-style base URL that ends in /v1: the client adds the paths.
        if url.endswith("/v1"):
            url = url[: -len("/v1")]
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must start with http:// or https://; got {url!r}.")
        if timeout <= 0:
            raise ValueError(f"timeout must be positive; got {timeout}.")
        if max_retries < 0:
            raise ValueError(f"max_retries must be 0 or more; got {max_retries}.")
        self.base_url = url
        self.api_key = api_key if api_key is not None else os.environ.get("LLMR_API_KEY")
        self.timeout = timeout
        self.retry = RetryPolicy(max_retries=max_retries)
        self.headers = {
            "accept": "application/json",
            "user-agent": f"llmr-python/{__version__}",
            **{name.lower(): value for name, value in (headers or {}).items()},
        }
        if self.api_key:
            self.headers["authorization"] = f"Bearer {self.api_key}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def request_headers(self, body: Optional[bytes], stream: bool) -> Dict[str, str]:
        headers = dict(self.headers)
        if body is not None:
            headers["content-type"] = "application/json"
        if stream:
            headers["accept"] = "text/event-stream"
        return headers


def encode(body: Optional[Mapping[str, Any]]) -> Optional[bytes]:
    return None if body is None else json.dumps(body, separators=(",", ":")).encode("utf-8")


def decode(status: int, headers: Mapping[str, str], data: bytes, path: str) -> Any:
    """A successful answer's JSON, or the mapped error for a failed one."""
    if status >= 400:
        raise error_from_response(status, headers, data, path=path)
    try:
        return json.loads(data.decode("utf-8")) if data else None
    except (UnicodeDecodeError, ValueError) as error:
        raise APIConnectionError(
            f"{path} answered {status} with a body that is not JSON: {data[:200]!r}"
        ) from error
