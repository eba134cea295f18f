"""llmr.Server: find the CLI, start on a free port, wait for /ready, stop (SIGTERM, then SIGKILL)."""

from __future__ import annotations


import signal
import socket

import pytest

import llmr
from conftest import cli_command


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_start_serve_and_stop_cleanly() -> None:
    server = llmr.Server(model="mock:echo", command=cli_command())
    with server:
        assert server.running
        assert server.port is not None and _listening(server.port)
        assert server.client().chat("up", model="mock:echo").text == "up"
        assert "llmr serving mock:echo" in server.logs()
        port = server.port
        process = server.process
    assert not server.running
    assert process is not None and process.returncode == 0  # SIGTERM: a clean shutdown
    assert not _listening(port)


def test_stop_kills_a_server_that_does_not_finish_in_time() -> None:
    # Shutdown waits up to 10 s for in-flight streams; an endless one makes it wait, so
    # stop() must fall back to SIGKILL after stop_timeout.
    server = llmr.Server(model="endless=mock:random?tokenMs=20", command=cli_command(), stop_timeout=0.5)
    with server:
        client = server.client()
        stream = client.stream_chat("go", model="endless")
        next(stream)
        code = server.stop()
    assert code == -signal.SIGKILL
    with pytest.raises(llmr.APIConnectionError):
        list(stream)


def test_a_server_that_exits_during_startup_reports_its_output() -> None:
    with pytest.raises(llmr.ServerStartError) as caught:
        llmr.Server(model="nothing=no-such-scheme:model", command=cli_command(), startup_timeout=60).start()
    assert "exited with code" in str(caught.value)
    assert "no-such-scheme" in str(caught.value)


def test_a_missing_command_is_reported() -> None:
    with pytest.raises(llmr.ServerStartError, match="Cannot run"):
        llmr.Server(command="/nonexistent/llmr").start()


def test_finding_the_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    assert llmr.server.find_cli("x/bin.js") == ["node", "x/bin.js"]
    assert llmr.server.find_cli(["npx", "@llmr/cli"]) == ["npx", "@llmr/cli"]
    monkeypatch.setenv("LLMR_CLI", "/opt/llmr")
    assert llmr.server.find_cli() == ["/opt/llmr"]
    monkeypatch.delenv("LLMR_CLI")
    monkeypatch.setenv("PATH", "")
    with pytest.raises(llmr.ServerStartError, match="npm i -g @llmr/cli"):
        llmr.server.find_cli()


def test_api_keys_are_passed_and_used_by_its_clients(guarded_server: llmr.Server) -> None:
    assert guarded_server.client().models()
    with pytest.raises(llmr.AuthenticationError):
        llmr.Client(guarded_server.url, api_key="").models()


def test_url_before_start() -> None:
    with pytest.raises(llmr.ServerStartError, match="not started"):
        llmr.Server().url  # noqa: B018
