"""The Python package's version moves with the npm packages'."""

import json

import llmr
from conftest import PYTHON_ROOT, REPO_ROOT


def test_version_matches_the_cli_package() -> None:
    cli = json.loads((REPO_ROOT / "packages" / "cli" / "package.json").read_text())
    assert llmr.__version__ == cli["version"], (
        f"python/src/llmr/_version.py says {llmr.__version__}, @llmr/cli says {cli['version']}: "
        "set _version.py to the npm version."
    )


def test_pyproject_reads_the_version_from_the_package() -> None:
    pyproject = (PYTHON_ROOT / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in pyproject
    assert 'version = { attr = "llmr._version.__version__" }' in pyproject


def test_the_package_is_typed() -> None:
    assert (PYTHON_ROOT / "src" / "llmr" / "py.typed").exists()


def test_builds_a_pure_python_wheel_offline(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import shutil
    import subprocess
    import sys
    import zipfile

    # setuptools builds in the source tree; a copy keeps build/ out of the checkout.
    source = tmp_path / "source"
    shutil.copytree(
        PYTHON_ROOT,
        source,
        ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__", ".pytest_cache"),
    )
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps", "--no-index",
         "-w", str(tmp_path), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    wheels = list(tmp_path.glob("llmr-*.whl"))
    assert [wheel.name for wheel in wheels] == [f"llmr-{llmr.__version__}-py3-none-any.whl"]
    names = zipfile.ZipFile(wheels[0]).namelist()
    assert "llmr/py.typed" in names and "llmr/client.py" in names


def test_auto_transport_falls_back_to_the_standard_library() -> None:
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['httpx'] = None\n"
        "import llmr\n"
        "print(llmr.Client().transport, llmr.AsyncClient().transport)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={"PYTHONPATH": str(PYTHON_ROOT / "src")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["stdlib", "stdlib"]
