"""``llmr.Server``: a local ``llmr serve`` as a context manager.

It finds the CLI (``command=``, ``LLMR_CLI``, an ``llmr`` on PATH, else ``npx @llmr/cli``),
starts it on a free port, waits until ``/ready`` answers 200, and on exit stops it with
SIGTERM (the server finishes in-flight requests), then SIGKILL after ``stop_timeout``.
"""

from __future__ import annotations

import atexit
import http.client
import os
import shutil
import signal
import socket
import subprocess

import tempfile
import time
from typing import IO, Any, List, Optional, Sequence, Union

from .async_client import AsyncClient
from .client import Client
from .errors import ServerStartError

# How much of the server's log an error message quotes.
LOG_TAIL_CHARS = 4000


def free_port(host: str = "127.0.0.1") -> int:
    """A port that was free a moment ago (the server binds it right after)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _as_command(value: Union[str, Sequence[str]]) -> List[str]:
    if isinstance(value, str):
        # A script path runs under node; anything else is an executable.
        return ["node", value] if value.endswith((".js", ".mjs")) else [value]
    return list(value)


def find_cli(command: Union[str, Sequence[str], None] = None) -> List[str]:
    """The command line that runs the llmr CLI."""
    if command is not None:
        return _as_command(command)
    from_env = os.environ.get("LLMR_CLI")
    if from_env:
        return _as_command(from_env)
    installed = shutil.which("llmr")
    if installed:
        return [installed]
    npx = shutil.which("npx")
    if npx:
        return [npx, "--yes", "@llmr/cli"]
    raise ServerStartError(
        "Cannot find the llmr CLI: install it (`npm i -g @llmr/cli`, needs Node.js 20+), "
        "set LLMR_CLI to its path, or pass llmr.Server(command=...)."
    )


class Server:
    """A local llmr server for the duration of a ``with`` block.

    >>> with llmr.Server(model="mock:echo") as server:
    ...     print(server.client().chat("Hello").text)

    ``model``: one source or several (``id=source`` works too); none serves llmr's built-in
    default model. ``args``: more ``llmr serve`` flags (e.g. ``["--config", "router.yaml"]``).
    ``grpc=True`` also serves the gRPC API (``llmr.v1``) at ``server.grpc_target``.
    """

    def __init__(
        self,
        model: Union[str, Sequence[str], None] = None,
        *,
        port: Optional[int] = None,
        host: str = "127.0.0.1",
        api_keys: Sequence[str] = (),
        args: Sequence[str] = (),
        grpc: bool = False,
        command: Union[str, Sequence[str], None] = None,
        env: Optional[dict] = None,
        startup_timeout: float = 120.0,
        stop_timeout: float = 10.0,
    ) -> None:
        self.models = [model] if isinstance(model, str) else list(model or [])
        self.host = host
        self.port = port
        self.api_keys = list(api_keys)
        self.args = list(args)
        self.grpc = grpc
        self.grpc_port: Optional[int] = None
        self.command = command
        self.env = env
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self.process: Optional[subprocess.Popen] = None
        self._log: Optional[IO[bytes]] = None

    @property
    def url(self) -> str:
        if self.port is None:
            raise ServerStartError("The server is not started: use `with llmr.Server() as server:` or call start().")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def grpc_target(self) -> str:
        """``host:port`` of the gRPC API (``grpc=True``), for ``grpc.insecure_channel``."""
        if self.grpc_port is None:
            raise ServerStartError("This server has no gRPC API: start it with llmr.Server(grpc=True).")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.grpc_port}"

    def client(self, **options: Any) -> Client:
        """A :class:`llmr.Client` for this server (with its first API key, if any)."""
        options.setdefault("api_key", self.api_keys[0] if self.api_keys else None)
        return Client(self.url, **options)

    def async_client(self, **options: Any) -> AsyncClient:
        options.setdefault("api_key", self.api_keys[0] if self.api_keys else None)
        return AsyncClient(self.url, **options)

    def logs(self) -> str:
        """Everything the server wrote to stdout and stderr so far."""
        if self._log is None:
            return ""
        self._log.flush()
        with open(self._log.name, "rb") as reader:
            return reader.read().decode("utf-8", errors="replace")

    def start(self) -> "Server":
        if self.process is not None:
            return self
        base = find_cli(self.command)
        port = self.port if self.port is not None else free_port(self.host)
        argv = base + ["serve", "--port", str(port), "--host", self.host, "--quiet"]
        if self.models:
            argv += ["--model", *self.models]
        if self.api_keys:
            argv += ["--api-key", *self.api_keys]
        grpc_port = free_port(self.host) if self.grpc else None
        if grpc_port is not None:
            argv += ["--grpc-port", str(grpc_port)]
        argv += self.args
        self._log = tempfile.NamedTemporaryFile(prefix="llmr-serve-", suffix=".log", delete=False)
        try:
            self.process = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                env={**os.environ, **(self.env or {})},
                # Its own process group, so that stopping reaches what npx started too.
                start_new_session=os.name == "posix",
            )
        except OSError as error:
            raise ServerStartError(f"Cannot run {' '.join(argv)}: {error}") from error
        self.port = port
        self.grpc_port = grpc_port
        atexit.register(self.stop)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _ready_now(self) -> bool:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=2)
        try:
            connection.request("GET", "/ready")
            return connection.getresponse().status == 200
        except (OSError, http.client.HTTPException):
            return False
        finally:
            connection.close()

    def _wait_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + self.startup_timeout
        delay = 0.05
        while time.monotonic() < deadline:
            code = self.process.poll()
            if code is not None:
                raise ServerStartError(
                    f"llmr serve exited with code {code} before it was ready. Its output:\n"
                    + self.logs()[-LOG_TAIL_CHARS:]
                )
            if self._ready_now():
                return
            time.sleep(delay)
            delay = min(0.5, delay * 1.5)
        raise ServerStartError(
            f"llmr serve was not ready at {self.url}/ready within {self.startup_timeout} s "
            "(a large model loads slowly: raise startup_timeout). Its output:\n" + self.logs()[-LOG_TAIL_CHARS:]
        )

    def _signal(self, signum: int) -> None:
        assert self.process is not None
        try:
            if os.name == "posix":
                os.killpg(self.process.pid, signum)
            elif signum == getattr(signal, "SIGKILL", None):
                self.process.kill()
            else:
                self.process.terminate()
        except (ProcessLookupError, PermissionError):
            pass

    def stop(self) -> Optional[int]:
        """SIGTERM, then SIGKILL after ``stop_timeout``; returns the exit code."""
        process = self.process
        if process is None:
            return None
        atexit.unregister(self.stop)
        if process.poll() is None:
            self._signal(signal.SIGTERM)
            try:
                process.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                self._signal(getattr(signal, "SIGKILL", signal.SIGTERM))
                process.wait()
        elif os.name == "posix":
            # The CLI is gone; make sure nothing it started (npx's child) outlives it.
            self._signal(signal.SIGKILL)
        if self._log is not None:
            self._log.close()
            try:
                os.unlink(self._log.name)
            except OSError:
                pass
            self._log = None
        self.process = None
        return process.returncode

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"Server({self.url if self.port else 'not started'}, {state})"


