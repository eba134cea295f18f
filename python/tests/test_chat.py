"""Chat and text completions, plain and streamed, over both transports."""

from __future__ import annotations

import time

import pytest

import llmr


def test_chat_answers_with_typed_result_and_routing(client: llmr.Client) -> None:
    answer = client.chat([{"role": "user", "content": "Hello, llmr"}], model="echo")
    assert isinstance(answer, llmr.ChatCompletion)
    assert answer.text == "Hello, llmr"
    assert answer.choices[0].message.role == "assistant"
    assert answer.choices[0].finish_reason == "stop"
    assert answer.model == "echo"
    assert answer.usage is not None and answer.usage.completion_tokens == len(b"Hello, llmr")
    assert answer.routing.model == "echo"
    assert answer.routing.attempts == 1
    assert answer.routing.request_id


def test_auto_routing_reports_the_chosen_model_and_strategy(client: llmr.Client) -> None:
    answer = client.chat("route me", max_tokens=4)
    assert answer.routing.model in {model.id for model in client.models()}
    assert answer.routing.strategy


def test_chat_accepts_strings_and_chat_messages(client: llmr.Client) -> None:
    answer = client.chat(
        [llmr.ChatMessage(role="system", content="be brief"), "last user words"], model="echo"
    )
    assert answer.text == "last user words"


def test_sampling_options_reach_the_model(client: llmr.Client) -> None:
    assert client.chat("abcdefgh", model="echo", max_tokens=3).text == "abc"
    assert client.chat("abc;def", model="echo", stop=[";"]).text == "abc"
    first = client.chat("x", model="random", max_tokens=12, temperature=0.9, seed=42)
    second = client.chat("x", model="random", max_tokens=12, temperature=0.9, seed=42)
    assert first.text == second.text and len(first.text) > 0


def test_unknown_option_fails_before_sending(client: llmr.Client) -> None:
    with pytest.raises(TypeError, match="unknown option.*temprature"):
        client.chat("x", model="echo", temprature=0.5)  # type: ignore[call-arg]


def test_extra_body_fields_are_sent(client: llmr.Client) -> None:
    with pytest.raises(llmr.BadRequestError) as caught:
        client.chat("x", model="echo", extra={"not_a_field": 1})
    assert caught.value.param == "not_a_field"


def test_stream_chat_yields_typed_chunks(client: llmr.Client) -> None:
    with client.stream_chat("Grüße", model="echo", include_usage=True) as stream:
        assert stream.routing.model == "echo"
        chunks = list(stream)
    assert all(isinstance(chunk, llmr.ChatCompletionChunk) for chunk in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert "".join(chunk.text for chunk in chunks) == "Grüße"
    finishes = [chunk.choices[0].finish_reason for chunk in chunks if chunk.choices]
    assert finishes[-1] == "stop"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == len("Grüße".encode())


def test_complete_and_stream_complete(client: llmr.Client) -> None:
    answer = client.complete("once upon", model="echo")
    assert isinstance(answer, llmr.Completion)
    assert answer.text == "once upon"
    assert answer.routing.model == "echo"
    stream = client.stream_complete("a time", model="echo", echo=True)
    chunks = list(stream)
    assert all(isinstance(chunk, llmr.CompletionChunk) for chunk in chunks)
    assert "".join(chunk.text for chunk in chunks) == "a timea time"


def test_closing_a_stream_stops_the_generation(server: llmr.Server, transport: str) -> None:
    with server.client(transport=transport) as client:
        stream = client.stream_chat("go on", model="endless")
        received = [next(stream) for _ in range(3)]
        assert received
        assert _in_flight(client, "endless") == 1
        stream.close()
        deadline = time.monotonic() + 5
        while _in_flight(client, "endless") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _in_flight(client, "endless") == 0


def _in_flight(client: llmr.Client, model: str) -> int:
    data, _ = client._json("GET", "/api/inflight")
    return sum(1 for request in data["requests"] if request["model"] == model)
