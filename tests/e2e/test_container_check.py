"""The Docker deployment built and run for real: scripts/container-check.sh (README, "Production mode").

The script builds the image from the Dockerfile, starts docker-compose.yml (api with two backend
workers, two queue consumers, PostgreSQL, Redis), signs up, generates a sandbox image through the REST
API, restarts the api and finds the task and its media again, then removes everything it made.
Skipped, with the reason, where no container engine is installed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.live_app import PROJECT_ROOT

pytestmark = pytest.mark.e2e

STEPS = (
    "build the app image from the Dockerfile",
    "start the compose set (api, 2 consumers, PostgreSQL, Redis) and wait for health",
    "sign up with the CLI in the api container and make an API token",
    "generate a sandbox image through the REST API and fetch its media",
    "restart the api container and wait for health",
    "the task and its media are still there",
    "stop everything and remove what the check made",
)


def _why_no_engine() -> str | None:
    if shutil.which("podman"):
        return None
    if shutil.which("docker") and subprocess.run(["docker", "info"], capture_output=True).returncode == 0:
        return None
    return "no container engine: podman is not installed and docker has no running daemon (scripts/setup.sh --dev installs podman as root)"


def test_container_check_builds_runs_restarts_and_removes_everything(tmp_path: Path) -> None:
    reason = _why_no_engine()
    if reason:
        pytest.skip(reason)
    work = tmp_path / "container-check"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("CONTAINER_CHECK_", "CONTAINERS_"))}
    env["CONTAINER_CHECK_DIR"] = str(work)
    log_path = tmp_path / "container-check.log"
    with log_path.open("w") as log:
        done = subprocess.run(
            ["bash", "scripts/container-check.sh"], cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, timeout=2700
        )
    output = log_path.read_text(errors="replace")
    artifacts = PROJECT_ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "container-check.log").write_text(output)  # each step's time, for the README's figures
    print(output[output.find("---- container check summary") :])
    assert done.returncode == 0, output[-8000:]
    for step in STEPS:
        assert f"==> {step}" in output, f"step not run: {step}\n{output[-4000:]}"
    assert "api: 2 backend worker processes" in output
    assert "the task ran in the consumers" in output
    assert "media bytes unchanged" in output
    size = re.search(r"\(app image size\)\s+(\d+) MB", output)
    assert size and int(size.group(1)) > 100, output[-3000:]
    assert output.rstrip().endswith("container check passed")
    project = re.search(r"smartspec-check-\d+", output)
    if os.geteuid() == 0 and shutil.which("podman"):
        assert not work.exists(), "the private image store was left behind"
    elif project:
        engine = "podman" if shutil.which("podman") else "docker"
        left = subprocess.run([engine, "ps", "-a", "--format", "{{.Names}}"], capture_output=True, text=True).stdout
        assert project.group(0) not in left, left
