"""The SSE decoder and the line splitter both transports use, including their bounds."""

from __future__ import annotations

import pytest

import llmr
from llmr._sse import DONE, MAX_EVENT_BYTES, SseDecoder
from llmr._transport import MAX_LINE_BYTES, LineSplitter


def test_lines_split_across_chunks() -> None:
    splitter = LineSplitter("http://x")
    assert splitter.feed(b"data: {\"a\"") == []
    assert splitter.feed(b": 1}\n\nda") == [b'data: {"a": 1}\n', b"\n"]
    assert splitter.feed(b"ta: [DONE]") == []
    assert splitter.rest() == [b"data: [DONE]"]


def test_a_line_without_end_is_refused() -> None:
    splitter = LineSplitter("http://x")
    with pytest.raises(llmr.APIConnectionError, match="exceeded"):
        for _ in range(MAX_LINE_BYTES // 65536 + 2):
            splitter.feed(b"x" * 65536)


def test_events_comments_multiline_and_done() -> None:
    decoder = SseDecoder()
    assert decoder.feed(b": keep-alive\n") is None
    assert decoder.feed(b"data: {\"a\":\n") is None
    assert decoder.feed(b"data: 1}\r\n") is None
    assert decoder.feed(b"\n") == {"a": 1}
    assert decoder.feed(b"data: [DONE]\n") is None
    assert decoder.feed(b"\n") is DONE


def test_an_oversized_event_is_refused() -> None:
    decoder = SseDecoder()
    with pytest.raises(ValueError, match="exceeded"):
        for _ in range(MAX_EVENT_BYTES // 65536 + 2):
            decoder.feed(b"data: " + b"x" * 65536 + b"\n")
