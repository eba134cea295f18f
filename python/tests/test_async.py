"""The asyncio client over both transports (asyncio streams by hand, and httpx)."""

from __future__ import annotations

import asyncio
from typing import Any, Coroutine, TypeVar

import pytest

import llmr

T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


def test_async_chat_and_stream(server: llmr.Server, transport: str) -> None:
    async def scenario() -> None:
        async with server.async_client(transport=transport, max_retries=0) as client:
            assert client.transport == transport
            answer = await client.chat("async hello", model="echo")
            assert answer.text == "async hello"
            assert answer.routing.model == "echo"
            stream = await client.stream_chat("ünïcode", model="echo", include_usage=True)
            chunks = [chunk async for chunk in stream]
            assert all(isinstance(chunk, llmr.ChatCompletionChunk) for chunk in chunks)
            assert "".join(chunk.text for chunk in chunks) == "ünïcode"
            assert chunks[-1].usage is not None
            completion = await client.stream_complete("tail", model="echo")
            assert await completion.text() == "tail"

    run(scenario())


def test_async_streams_run_concurrently(server: llmr.Server, transport: str) -> None:
    async def one(client: llmr.AsyncClient, text: str) -> str:
        async with await client.stream_chat(text, model="echo") as stream:
            return await stream.text()

    async def scenario() -> None:
        async with server.async_client(transport=transport) as client:
            texts = [f"request {index}" for index in range(8)]
            assert await asyncio.gather(*(one(client, text) for text in texts)) == texts

    run(scenario())


def test_async_errors_map_like_sync(server: llmr.Server, transport: str) -> None:
    async def scenario() -> None:
        async with server.async_client(transport=transport, max_retries=0) as client:
            with pytest.raises(llmr.ModelNotFoundError):
                await client.chat("x", model="no-such-model")
            stream = await client.stream_chat("x", model="broken")
            with pytest.raises(llmr.StreamError) as caught:
                async for _ in stream:
                    pass
            assert caught.value.code == "mock-failure"
            with pytest.raises(llmr.APITimeoutError):
                await client.chat("x", model="slow", timeout=0.5)

    run(scenario())


def test_async_embeddings_models_and_details(server: llmr.Server, transport: str) -> None:
    async def scenario() -> None:
        async with server.async_client(transport=transport) as client:
            embeddings = await client.embed(["a", "b"], model="echo")
            assert len(embeddings.vectors) == 2
            assert "echo" in {model.id for model in await client.models()}
            details = await client.model("echo")
            assert details.loaded is not None
            assert await client.ready()

    run(scenario())
