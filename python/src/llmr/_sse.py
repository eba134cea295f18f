"""Server-sent events, decoded line by line (the same decoder serves both clients)."""

from __future__ import annotations

import json
from typing import Any, List, Optional

# A single event larger than this is refused rather than buffered without end.
MAX_EVENT_BYTES = 8 * 1024 * 1024

DONE = object()
"""Returned for ``data: [DONE]``, the end of an OpenAI stream."""


class SseDecoder:
    def __init__(self) -> None:
        self._data: List[str] = []
        self._size = 0

    def feed(self, line: bytes) -> Optional[Any]:
        """One line (with or without its newline); returns a parsed event when one ends."""
        text = line.decode("utf-8").rstrip("\r\n")
        if text == "":
            return self._dispatch()
        if text.startswith(":"):
            return None
        name, _, value = text.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._size += len(value)
            if self._size > MAX_EVENT_BYTES:
                raise ValueError(f"A server-sent event exceeded {MAX_EVENT_BYTES} bytes.")
            self._data.append(value)
        return None

    def flush(self) -> Optional[Any]:
        return self._dispatch()

    def _dispatch(self) -> Optional[Any]:
        if not self._data:
            return None
        data = "\n".join(self._data)
        self._data = []
        self._size = 0
        if data == "[DONE]":
            return DONE
        return json.loads(data)
