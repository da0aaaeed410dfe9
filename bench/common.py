"""What every benchmark shares: arguments, figures, tables, the app's environment and servers in subprocesses."""

from __future__ import annotations

import argparse
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

PROJECT_ROOT = Path(__file__).resolve().parent.parent
POSTGRES_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
BASE_URL = "https://bench.example"  # PUBLIC_BASE_URL of the served app: absolute links without a Host guess


def parser(description: str, *, items: int = 100_000) -> argparse.ArgumentParser:
    """The options every benchmark takes: --items N and --db sqlite|postgres|both."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--items", type=int, default=items, help=f"listed gallery items to seed (default {items:,})")
    p.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both", help="database(s); postgres is skipped when absent")
    return p


def postgres_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


def databases(choice: str) -> list[str]:
    """The databases to run against: PostgreSQL only when it answers on 127.0.0.1:5432."""
    kinds = ["sqlite", "postgres"] if choice == "both" else [choice]
    if "postgres" in kinds and not postgres_available():
        print("(PostgreSQL is not answering on 127.0.0.1:5432: skipped)")
        kinds.remove("postgres")
    return kinds


def machine_line() -> str:
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"machine: {os.cpu_count()} CPU cores (os.cpu_count()), load average {load}, Python {platform.python_version()}"


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile of `values` (pct from 0 to 100)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], title: str = "") -> str:
    """A plain-text table, columns right-aligned except the first."""
    cells = [[str(h) for h in headers], *[[_cell(v) for v in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        return "  ".join(v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(row, widths, strict=True)))

    out = [title] if title else []
    out += [line(cells[0]), "  ".join("-" * w for w in widths), *(line(r) for r in cells[1:])]
    return "\n".join(out)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 10 else f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_env(db_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of an app process: this database, a throw-away DATA_DIR, no rate limit in the way."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "KIE_AI_API_KEY", "REDIS_URL", "SPA_BUILD_DIR")}
    env.update(
        DATABASE_URL=db_url,
        DATA_DIR=str(data_dir),
        PUBLIC_BASE_URL=BASE_URL,
        # the limiter still counts every /api/ request (its cost is part of the figure) but never refuses one
        RATE_LIMIT_ANONYMOUS="1000000/second",
        RATE_LIMIT_USER="1000000/second",
        WORKER_IN_PROCESS="0",
        PYTHONPATH=str(PROJECT_ROOT),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


class Server:
    """An ASGI app served by uvicorn in its own process (one worker) on 127.0.0.1."""

    def __init__(self, target: str, env: dict[str, str], *, factory: bool = True) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.started_at = time.perf_counter()
        self.log = tempfile.NamedTemporaryFile(prefix="bench-server-", suffix=".log", delete=False)  # noqa: SIM115
        cmd = [sys.executable, "-m", "uvicorn", target, "--host", "127.0.0.1", "--port", str(self.port)]
        cmd += ["--log-level", "warning", "--no-access-log", "--lifespan", "off"]
        if factory:
            cmd.append("--factory")
        self.process = subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, probe: str, timeout: float = 60) -> float:
        """Seconds from the start of the process to the first 200 on `probe`."""
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=30) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.log_tail()}")
                try:
                    if client.get(self.url + probe).status_code == 200:
                        return time.perf_counter() - self.started_at
                except httpx.TransportError:
                    pass
                time.sleep(0.01)
        raise TimeoutError(f"server did not answer {probe} in {timeout}s:\n{self.log_tail()}")

    def rss_mb(self) -> float:
        return rss_mb(self.process.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        Path(self.log.name).unlink(missing_ok=True)

    def log_tail(self, chars: int = 3000) -> str:
        return Path(self.log.name).read_text(errors="replace")[-chars:]


@contextmanager
def served(target: str, env: dict[str, str], probe: str, *, factory: bool = True) -> Iterator[Server]:
    server = Server(target, env, factory=factory)
    try:
        server.wait_ready(probe)
        yield server
    finally:
        server.stop()


def rss_mb(pid: int) -> float:
    """Resident set size of a process in MiB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def hwm_mb(pid: int) -> float:
    """Peak resident set size (VmHWM) of a live process in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")
