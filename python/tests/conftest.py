"""Fixtures: a real ``llmr serve`` (the CLI built from this repository) with deterministic
mock models, started once per test session through ``llmr.Server``."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Iterator, List

import pytest

PYTHON_ROOT = Path(__file__).resolve().parents[1]
REPO_ROOT = PYTHON_ROOT.parent
sys.path.insert(0, str(PYTHON_ROOT / "src"))

import llmr  # noqa: E402

CLI = REPO_ROOT / "packages" / "cli" / "dist" / "bin.js"

# The models every test server serves: ids chosen by what each is for.
MOCK_MODELS: List[str] = [
    "echo=mock:echo",
    "scripted=mock:script?reply=Hello there, world",
    "random=mock:random?seed=7",
    # Each fails 2 calls (see test_errors.py): one per transport and retry setting.
    *[
        f"flaky-{transport}-{retries}=mock:echo?failFirstCalls=2"
        for transport in ("stdlib", "httpx")
        for retries in (0, 1)
    ],
    "broken=mock:random?failAfterTokens=3",
    "slow=mock:echo?firstTokenMs=30000",
    "endless=mock:random?tokenMs=20",
]

TRANSPORTS = ["stdlib", "httpx"]


def cli_command() -> str:
    override = os.environ.get("LLMR_CLI")
    if override:
        return override
    if not CLI.exists():
        pytest.fail(
            f"{CLI.relative_to(REPO_ROOT)} is missing: build the CLI first "
            "(`pnpm install && pnpm exec turbo run build`), or set LLMR_CLI to an llmr executable.",
            pytrace=False,
        )
    return str(CLI)


@pytest.fixture(scope="session")
def server() -> Iterator[llmr.Server]:
    with llmr.Server(model=MOCK_MODELS, command=cli_command(), startup_timeout=60) as running:
        yield running


@pytest.fixture(scope="session")
def guarded_server() -> Iterator[llmr.Server]:
    """API keys and a per-key limit of 3 requests per minute."""
    with llmr.Server(
        model=["echo=mock:echo"],
        api_keys=["test-key-1"],
        args=["--requests-per-minute", "3"],
        command=cli_command(),
        startup_timeout=60,
    ) as running:
        yield running


@pytest.fixture(params=TRANSPORTS)
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def client(server: llmr.Server, transport: str) -> Iterator[llmr.Client]:
    with server.client(transport=transport, max_retries=0) as instance:
        assert instance.transport == transport
        yield instance
