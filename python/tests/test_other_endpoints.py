"""Embeddings, models, tokenize, feedback."""

from __future__ import annotations

import math

import pytest

import llmr


def test_embeddings(client: llmr.Client) -> None:
    result = client.embed(["first", "second"], model="echo")
    assert isinstance(result, llmr.EmbeddingList)
    assert [item.index for item in result.data] == [0, 1]
    assert result.vectors[0] != result.vectors[1]
    assert result.routing.model == "echo"
    assert result.usage is not None and result.usage.prompt_tokens > 0
    cut = client.embed("first", model="echo", dimensions=4)
    assert len(cut.vectors[0]) == 4
    assert math.isclose(math.hypot(*cut.vectors[0]), 1.0, rel_tol=1e-5)


def test_models_and_details(client: llmr.Client) -> None:
    ids = {model.id for model in client.models()}
    assert {"echo", "random", "slow"} <= ids
    details = client.model("echo")
    assert details.id == "echo"
    assert "chat" in details.capabilities or not details.loaded
    with pytest.raises(llmr.NotFoundError):
        client.model("no-such-model")


def test_feedback_is_accepted_for_an_answer_and_refused_for_an_unknown_id(client: llmr.Client) -> None:
    answer = client.chat("rate me", model="echo")
    assert answer.routing.request_id
    result = client.feedback(answer.routing.request_id, score=1.0, comment="good")
    assert result.accepted
    assert result.raw["responseId"] == answer.routing.request_id
    assert client.feedback(answer.routing.request_id, label="down").accepted
    with pytest.raises(llmr.APIError):
        client.feedback("no-such-response", score=0.5)
    with pytest.raises(ValueError, match="score must be within"):
        client.feedback(answer.routing.request_id, score=3)


def test_tokenize_round_trip(client: llmr.Client) -> None:
    result = client.tokenize("héllo", model="echo")
    assert result.model == "echo"
    assert result.tokens == list("héllo".encode())  # the mock tokenizer is UTF-8 bytes
    assert client.detokenize(result.tokens, model="echo").text == "héllo"
    with pytest.raises(llmr.BadRequestError, match="routes over"):
        client.tokenize("x", model="auto")  # several models: no single tokenizer
