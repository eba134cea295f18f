"""The README's first example runs as written (against the CLI built from this repository)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from conftest import PYTHON_ROOT, cli_command


def test_the_first_readme_example_runs() -> None:
    readme = (PYTHON_ROOT / "README.md").read_text()
    match = re.search(r"```python\n(.*?)```", readme, re.S)
    assert match, "python/README.md has no ```python block"
    example = match.group(1)
    result = subprocess.run(
        [sys.executable, "-c", example],
        env={
            **os.environ,
            "LLMR_CLI": cli_command(),
            "PYTHONPATH": str(PYTHON_ROOT / "src"),
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    # The default model babbles, but it does answer something.
    assert result.stdout.strip(), "the example printed nothing"
