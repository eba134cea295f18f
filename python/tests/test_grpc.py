"""The gRPC API (llmr.v1) from Python's grpcio, against a real `llmr serve --grpc-port`.

The .proto files are compiled with grpc_tools.protoc into a temporary directory: the
repository's proto/ (llmr.v1 and google.rpc), and the health and reflection protos that
the Node server's own packages ship.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Dict, Iterator

import pytest

import llmr
from conftest import REPO_ROOT, cli_command

def _require_grpc() -> ModuleType:
    try:
        return importlib.import_module("grpc")
    except ImportError:
        pytest.fail("grpcio is missing: apt install python3-grpcio python3-grpc-tools (or pip install grpcio grpcio-tools).", pytrace=False)
        raise


def _node_package_dir(name: str) -> Path:
    """Where Node resolves a package from packages/server-grpc (pnpm's layout)."""
    result = subprocess.run(
        ["node", "-p", f"require('path').dirname(require.resolve('{name}/package.json'))"],
        cwd=REPO_ROOT / "packages" / "server-grpc",
        capture_output=True,
        text=True,
        check=True,
    )
    return Path(result.stdout.strip())


@pytest.fixture(scope="module")
def pb(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, ModuleType]:
    _require_grpc()
    try:
        import grpc_tools
        from grpc_tools import protoc
    except ImportError:
        pytest.fail("grpc_tools is missing: apt install python3-grpc-tools (or pip install grpcio-tools).", pytrace=False)
    out = tmp_path_factory.mktemp("grpc_generated")
    proto_root = REPO_ROOT / "proto"
    health_root = _node_package_dir("grpc-health-check") / "proto"
    reflection_root = _node_package_dir("@grpc/reflection") / "build" / "proto"
    well_known = Path(grpc_tools.__file__).parent / "_proto"
    files = [str(path.relative_to(proto_root)) for path in sorted(proto_root.rglob("*.proto"))]
    files += ["health/v1/health.proto", "grpc/reflection/v1/reflection.proto"]
    code = protoc.main(
        [
            "grpc_tools.protoc",
            f"-I{proto_root}",
            f"-I{health_root}",
            f"-I{reflection_root}",
            f"-I{well_known}",
            f"--python_out={out}",
            f"--grpc_python_out={out}",
            *files,
        ]
    )
    assert code == 0, "protoc failed on the .proto files"
    sys.path.insert(0, str(out))
    # The generated llmr.v1 modules join the llmr package (already imported), and
    # google.rpc joins protobuf's google namespace.
    llmr.__path__.append(str(out / "llmr"))  # type: ignore[attr-defined]
    import google

    google.__path__.append(str(out / "google"))
    # grpc.reflection (not part of grpcio itself) joins the grpc package the same way.
    _require_grpc().__path__.append(str(out / "grpc"))
    names = {
        "common": "llmr.v1.common_pb2",
        "generation": "llmr.v1.generation_pb2",
        "generation_grpc": "llmr.v1.generation_pb2_grpc",
        "models": "llmr.v1.models_pb2",
        "models_grpc": "llmr.v1.models_pb2_grpc",
        "tokenizer": "llmr.v1.tokenizer_pb2",
        "tokenizer_grpc": "llmr.v1.tokenizer_pb2_grpc",
        "status": "google.rpc.status_pb2",
        "error_details": "google.rpc.error_details_pb2",
        "health": "health.v1.health_pb2",
        "health_grpc": "health.v1.health_pb2_grpc",
        "reflection": "grpc.reflection.v1.reflection_pb2",
        "reflection_grpc": "grpc.reflection.v1.reflection_pb2_grpc",
    }
    modules: Dict[str, ModuleType] = {}
    for key, name in names.items():
        modules[key] = importlib.import_module(name)
    return modules


@pytest.fixture(scope="module")
def grpc_server() -> Iterator[llmr.Server]:
    with llmr.Server(
        model=["echo=mock:echo", "endless=mock:random?tokenMs=20"],
        grpc=True,
        command=cli_command(),
        startup_timeout=60,
    ) as running:
        yield running


@pytest.fixture
def channel(grpc_server: llmr.Server) -> Iterator[object]:
    grpc = _require_grpc()
    with grpc.insecure_channel(grpc_server.grpc_target) as opened:
        yield opened


def _chat(pb: Dict[str, ModuleType], model: str, text: str, **fields: object) -> object:
    generation = pb["generation"]
    return generation.ChatRequest(
        model=model, messages=[generation.ChatMessage(role="user", content=text)], **fields
    )


def test_unary_chat_with_routing(pb: Dict[str, ModuleType], channel: object) -> None:
    stub = pb["generation_grpc"].GenerationServiceStub(channel)
    response, call = stub.Chat.with_call(_chat(pb, "echo", "hello from grpcio"))
    assert response.message.content == "hello from grpcio"
    assert response.finish_reason == pb["common"].FINISH_REASON_STOP
    assert response.routing.model == "echo" and response.routing.attempts == 1
    assert response.usage.output_tokens == len("hello from grpcio")
    metadata = dict(call.initial_metadata())
    assert metadata["x-llmr-model"] == "echo"
    assert metadata["x-request-id"] == response.id


def test_streaming_chat_and_completion(pb: Dict[str, ModuleType], channel: object) -> None:
    generation = pb["generation"]
    stub = pb["generation_grpc"].GenerationServiceStub(channel)
    events = list(stub.ChatStream(_chat(pb, "echo", "Grüße")))
    kinds = [event.WhichOneof("event") for event in events]
    assert kinds[0] == "start" and kinds[-1] == "end" and set(kinds[1:-1]) == {"delta"}
    assert "".join(event.delta.content for event in events[1:-1]) == "Grüße"
    assert events[-1].end.usage.output_tokens == len("Grüße".encode())
    sampling = generation.SamplingParameters(stop=[";"])
    sampling.max_tokens.value = 50
    completion = list(stub.CompleteStream(generation.CompleteRequest(model="echo", prompt="abc;def", sampling=sampling)))
    assert "".join(event.delta.text for event in completion if event.WhichOneof("event") == "delta") == "abc"


def test_errors_carry_status_details(pb: Dict[str, ModuleType], channel: object) -> None:
    grpc = _require_grpc()
    stub = pb["generation_grpc"].GenerationServiceStub(channel)
    with pytest.raises(grpc.RpcError) as caught:
        list(stub.ChatStream(_chat(pb, "no-such-model", "x")))
    error = caught.value
    assert error.code() == grpc.StatusCode.NOT_FOUND
    trailers = dict(error.trailing_metadata())
    status = pb["status"].Status.FromString(trailers["grpc-status-details-bin"])
    info = pb["error_details"].ErrorInfo()
    assert status.details[0].Unpack(info)
    assert info.reason == "model_not_found" and info.domain == "llmr.dev"


def test_deadline_exceeded(pb: Dict[str, ModuleType], channel: object) -> None:
    grpc = _require_grpc()
    stub = pb["generation_grpc"].GenerationServiceStub(channel)
    sampling = pb["generation"].SamplingParameters()
    sampling.max_tokens.value = 100000
    with pytest.raises(grpc.RpcError) as caught:
        for _ in stub.ChatStream(_chat(pb, "endless", "go", sampling=sampling), timeout=1.0):
            pass
    assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED


def test_models_and_tokenizer(pb: Dict[str, ModuleType], channel: object) -> None:
    models = pb["models_grpc"].ModelServiceStub(channel).ListModels(pb["models"].ListModelsRequest())
    assert [model.id for model in models.models] == ["echo", "endless"]
    tokenizer = pb["tokenizer_grpc"].TokenizerServiceStub(channel)
    tokens = tokenizer.Tokenize(pb["tokenizer"].TokenizeRequest(model="echo", text="héllo")).tokens
    assert list(tokens) == list("héllo".encode())
    text = tokenizer.Detokenize(pb["tokenizer"].DetokenizeRequest(model="echo", tokens=tokens)).text
    assert text == "héllo"


def test_health_reports_serving(pb: Dict[str, ModuleType], channel: object) -> None:
    health = pb["health"]
    stub = pb["health_grpc"].HealthStub(channel)
    for service in ["", "llmr.v1.GenerationService", "llmr.v1.ModelService"]:
        response = stub.Check(health.HealthCheckRequest(service=service))
        assert response.status == health.HealthCheckResponse.SERVING


def test_reflection_lists_the_services(pb: Dict[str, ModuleType], channel: object) -> None:
    reflection = pb["reflection"]
    stub = pb["reflection_grpc"].ServerReflectionStub(channel)
    replies = stub.ServerReflectionInfo(iter([reflection.ServerReflectionRequest(list_services="")]))
    names = {service.name for service in next(replies).list_services_response.service}
    assert {
        "llmr.v1.GenerationService",
        "llmr.v1.EmbeddingService",
        "llmr.v1.TokenizerService",
        "llmr.v1.ModelService",
        "grpc.health.v1.Health",
    } <= names
