"""rxconfig.py: where Reflex keeps the sessions' page states in each set-up."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHOW_MANAGER = "from reflex.istate.manager import StateManager; print(type(StateManager.create()).__name__)"


def _manager(tmp_path: Path, **env: str) -> str:
    environment = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    environment.update(DATA_DIR=str(tmp_path), **env)
    done = subprocess.run([sys.executable, "-c", SHOW_MANAGER], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_the_embedded_default_keeps_page_states_in_its_one_process(tmp_path: Path) -> None:
    assert _manager(tmp_path) == "StateManagerMemory"  # not the disk manager, which rescans its directory


def test_with_redis_the_backend_workers_share_page_states_there(tmp_path: Path) -> None:
    assert _manager(tmp_path, REDIS_URL="redis://127.0.0.1:6379/0") == "StateManagerRedis"


SHOW_CORS = "import rxconfig; print(list(rxconfig.config.cors_allowed_origins))"


def _cors(tmp_path: Path, **env: str) -> str:
    environment = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL", "CORS_ORIGINS")}
    environment.update(DATA_DIR=str(tmp_path), **env)
    done = subprocess.run([sys.executable, "-c", SHOW_CORS], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_reflex_answers_cors_for_the_configured_origins_only(tmp_path: Path) -> None:
    assert _cors(tmp_path) == "[]"  # not Reflex's default ["*"]: same origin only
    assert _cors(tmp_path, CORS_ORIGINS="https://partner.example/") == "['https://partner.example']"
