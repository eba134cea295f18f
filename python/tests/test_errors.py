"""Errors map to exception classes with status, code and retry hints; retries back off."""

from __future__ import annotations

import time

import pytest

import llmr


def test_model_not_found(client: llmr.Client) -> None:
    with pytest.raises(llmr.ModelNotFoundError) as caught:
        client.chat("x", model="no-such-model")
    error = caught.value
    assert error.status == 404 and error.code == "model_not_found"
    assert "no-such-model" in error.message
    assert error.request_id
    assert not error.retryable


def test_invalid_argument_names_the_parameter(client: llmr.Client) -> None:
    with pytest.raises(llmr.BadRequestError) as caught:
        client.chat("x", model="echo", temperature=5)
    assert caught.value.status == 400
    assert caught.value.param == "temperature"


def test_failure_mid_stream_is_a_stream_error(client: llmr.Client) -> None:
    stream = client.stream_chat("x", model="broken")
    received = []
    with pytest.raises(llmr.StreamError) as caught:
        for chunk in stream:
            received.append(chunk.text)
    assert len("".join(received)) == 3
    assert caught.value.code == "mock-failure"


def test_timeout(client: llmr.Client) -> None:
    started = time.monotonic()
    with pytest.raises(llmr.APITimeoutError):
        client.chat("x", model="slow", timeout=0.5)
    assert time.monotonic() - started < 15


def test_connection_refused_is_retried_then_raised(transport: str) -> None:
    port = llmr.server.free_port()
    client = llmr.Client(f"http://127.0.0.1:{port}", transport=transport, max_retries=2)
    started = time.monotonic()
    with pytest.raises(llmr.APIConnectionError, match="Is the llmr server running"):
        client.chat("x")
    # Two backoffs of 0.25-0.5 s and 0.5-1 s.
    assert time.monotonic() - started >= 0.7


@pytest.mark.parametrize("max_retries", [0, 1])
def test_a_retryable_503_is_retried(server: llmr.Server, transport: str, max_retries: int) -> None:
    # Each of these models fails its first two calls: the router's two attempts on the
    # first request, so that request answers 503 and only a client retry succeeds.
    model = f"flaky-{transport}-{max_retries}"
    with server.client(transport=transport, max_retries=max_retries) as client:
        if max_retries == 0:
            with pytest.raises(llmr.ServiceUnavailableError) as caught:
                client.chat("x", model=model)
            assert caught.value.retryable and caught.value.code == "all_models_failed"
        else:
            assert client.chat("second time lucky", model=model).text == "second time lucky"


def test_unauthenticated(guarded_server: llmr.Server, transport: str) -> None:
    with llmr.Client(guarded_server.url, transport=transport, api_key="wrong") as client:
        with pytest.raises(llmr.AuthenticationError) as caught:
            client.models()
    assert caught.value.status == 401 and caught.value.code == "invalid_api_key"


def test_rate_limit_carries_retry_after_and_is_not_waited_for_when_long(guarded_server: llmr.Server) -> None:
    with guarded_server.client(transport="stdlib", max_retries=3) as client:
        started = time.monotonic()
        with pytest.raises(llmr.RateLimitError) as caught:
            for _ in range(5):
                client.chat("x", model="echo")
        error = caught.value
        assert error.status == 429 and error.code == "rate_limit_exceeded"
        assert error.retry_after is not None and error.retry_after > 20
        assert error.retryable
        # A Retry-After beyond the client's limit (20 s) raises at once instead of sleeping.
        assert time.monotonic() - started < 15
