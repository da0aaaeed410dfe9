"""Start the real app (`reflex run --env prod`) as a child process on a free 127.0.0.1 port."""

from __future__ import annotations

import fcntl
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

PROJECT_ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _BuildLock:
    """A file lock between test processes, re-entrant within one process."""

    _file = None
    _count = 0

    @classmethod
    def acquire(cls) -> None:
        if cls._count == 0:
            cls._file = (PROJECT_ROOT / ".web-test.lock").open("w")
            fcntl.flock(cls._file, fcntl.LOCK_EX)
        cls._count += 1

    @classmethod
    def release(cls) -> None:
        cls._count -= 1
        if cls._count == 0 and cls._file is not None:
            cls._file.close()
            cls._file = None


class LiveApp:
    """One app process with its own data directory; start, stop or kill it, start it again.

    A full app (not backend-only) serves this checkout's .web/build from disk, and the build bakes its
    own port into the websocket URL: an app started while another runs rebuilds it for itself. When it
    stops, the build is made again for the app still running (the session's), whose pages would
    otherwise dial a port nobody listens on."""

    _serving: list[LiveApp] = []  # full apps running in this process, oldest first
    _built_for: int | None = None  # the port .web/build was last built for

    def __init__(self, data_dir: Path, *, backend_only: bool = False, extra_env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.backend_only = backend_only
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir.parent / f"app-{self.port}.log"
        self.process: subprocess.Popen | None = None
        self.startup_output = ""  # what the last start printed (migration, build, start-up) until the app answered
        self._holds_lock = False
        inherited = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "KIE_AI_API_KEY", "REDIS_URL")}
        self.env = {
            **inherited,
            "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "REFLEX_USE_NPM": "1",
            "DATA_DIR": str(data_dir),
            # Reflex's saved page states: one directory per app (kept across its restarts), not the
            # checkout's .states, whose every file the disk state manager stats each 2 s
            "REFLEX_STATES_WORKDIR": str(data_dir.parent / "states"),
            "SMARTSPEC_INTERNAL_URL": self.base_url,
            "PYTHONUNBUFFERED": "1",
            "DATABASE_POOL_GUARD": "warn",  # nested pool checkouts are logged (nested_checkouts)
            # every browser test signs up from 127.0.0.1: lift the per-address sign-up limit (a test of it sets its own)
            "SIGNUP_LIMIT": "10000/hour",
            **(extra_env or {}),  # may set DATABASE_URL / REDIS_URL on purpose
        }

    def run_python(self, code: str, *args: str) -> str:
        """Run a snippet (with `args` in sys.argv[1:]) in the app's environment (same database and queue); returns stdout."""
        command = [sys.executable, "-c", code, *args]
        done = subprocess.run(command, cwd=PROJECT_ROOT, env=self.env, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise AssertionError(f"snippet failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def migrate(self) -> None:
        """`reflex db migrate`, its output appended to the app's log."""
        done = subprocess.run([str(VENV_BIN / "reflex"), "db", "migrate"], cwd=PROJECT_ROOT, env=self.env, capture_output=True)
        with self.log_path.open("ab") as log:
            log.write(done.stdout + done.stderr)
        if done.returncode != 0:
            raise AssertionError(f"reflex db migrate failed:\n{(done.stdout + done.stderr).decode(errors='replace')[-3000:]}")

    def export_frontend(self) -> str:
        """`reflex export --frontend-only` with the build's whole output (Vite's too, shown at debug
        level only); returns that output. Rebuilds this checkout's .web/build like a start does, for
        this app's port: the build bakes the backend's URL in, and a running app serves this build."""
        self._hold_build_lock()
        port = str(self.port)
        env = {**self.env, "COLUMNS": "400", "REFLEX_FRONTEND_PORT": port, "REFLEX_BACKEND_PORT": port}
        cmd = [str(VENV_BIN / "reflex"), "export", "--frontend-only", "--no-zip", "--env", "prod", "--loglevel", "debug"]
        done = subprocess.run(cmd, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=900)
        output = done.stdout + done.stderr
        if done.returncode != 0:
            raise AssertionError(f"the frontend build failed:\n{output[-4000:]}")
        LiveApp._built_for = self.port
        return output

    def start(self, timeout: float = 600) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._hold_build_lock()
        self.log_path.touch()
        log_start = self.log_path.stat().st_size
        self.migrate()
        cmd = [str(VENV_BIN / "reflex"), "run", "--env", "prod", "--backend-host", "127.0.0.1"]
        if self.backend_only:
            cmd += ["--backend-only", "--backend-port", str(self.port)]
        else:
            cmd += ["--single-port", "--frontend-port", str(self.port), "--backend-port", str(self.port)]
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self._wait_ready(timeout)
        if not self.backend_only:
            LiveApp._built_for = self.port
            LiveApp._serving.append(self)
        with self.log_path.open("rb") as written:
            written.seek(log_start)
            self.startup_output = written.read().decode(errors="replace")

    @contextmanager
    def running(self) -> Iterator[LiveApp]:
        """Started for the block, then stopped and its build lock let go (a test module's own app)."""
        try:
            self.start()
            yield self
        finally:
            self.stop()
            self.release()

    def _hold_build_lock(self) -> None:
        """One test process per checkout at a time runs live apps: they compile into the same .web."""
        if not self._holds_lock:
            _BuildLock.acquire()
            self._holds_lock = True

    def release(self) -> None:
        if self._holds_lock:
            _BuildLock.release()
            self._holds_lock = False

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        probe = "/api/health" if self.backend_only else "/"
        while time.monotonic() < deadline:
            if self.process and self.process.poll() is not None:
                raise RuntimeError(f"the app exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(self.base_url + probe, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise TimeoutError(f"the app did not answer in {timeout}s:\n{self.log_tail()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
        if self.process is None:
            return
        self._stop(sig, timeout)
        if self in LiveApp._serving:
            LiveApp._serving.remove(self)
            if LiveApp._built_for == self.port and LiveApp._serving:
                LiveApp._serving[-1].export_frontend()

    def _stop(self, sig: int, timeout: float) -> None:
        try:
            os.killpg(self.process.pid, sig)
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        except ProcessLookupError:
            pass
        self.process = None
        # the worker processes the server forked must be gone before a restart reuses the port
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) != 0:
                    return
            time.sleep(0.2)

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def nested_checkouts(self) -> list[str]:
        """What services/pool_guard.py logged: a thread that held a pooled connection and asked for another."""
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return [chunk[:3000] for chunk in text.split("nested checkout from")[1:]]

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""
