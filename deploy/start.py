"""The container's entry point: one image, two roles.

    start.py web      wait for the database (and Redis), migrate, then serve pages, websocket and REST API
                      on one port ($HOST:$PORT, 0.0.0.0:3000) from the frontend built into the image
    start.py worker   wait until the database is migrated, then run a queue consumer (huey_consumer)
    start.py CMD ...  run anything else as it is (e.g. `python -m smartspec_app.cli create-user ...`)

`reflex run --env prod --single-port` would rebuild the frontend with Node at every start; the image
holds the build already (the `build` stage of the Dockerfile ran `reflex export`) and no Node, so the
web role starts Reflex's production backend (Granian, `GRANIAN_WORKERS` processes) with the built
frontend mounted, which is what `reflex run --env prod --single-port` does once its build is done.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

APP_DIR = Path(__file__).resolve().parents[1]
BUILT_FRONTEND = APP_DIR / ".web" / "build" / "client"


def _log(message: str) -> None:
    print(f"start: {message}", flush=True)


def _wait(what: str, probe: Callable[[], None], timeout: float) -> None:
    """Call `probe` until it stops raising, or give up after `timeout` seconds naming the last error."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            probe()
            return
        except Exception as exc:
            if time.monotonic() > deadline:
                raise SystemExit(f"start: gave up waiting for {what} after {timeout:.0f} s: {exc}") from exc
            _log(f"waiting for {what} ({type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''})")
            time.sleep(2)


def _database_answers() -> None:
    from sqlalchemy import create_engine, text

    from smartspec_app.settings import get_settings

    engine = create_engine(get_settings().resolved_database_url)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    finally:
        engine.dispose()


def _redis_answers() -> None:
    import redis

    from smartspec_app.settings import get_settings

    url = get_settings().redis_url
    if url:
        redis.Redis.from_url(url, socket_timeout=3, socket_connect_timeout=3).ping()


def _schema_is_current() -> None:
    """Raise until the database's alembic revision is the newest one in the image (the web role migrates)."""
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine

    from smartspec_app.settings import get_settings

    heads = set(ScriptDirectory.from_config(Config(str(APP_DIR / "alembic.ini"))).get_heads())
    engine = create_engine(get_settings().resolved_database_url)
    try:
        with engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    finally:
        engine.dispose()
    if current != heads:
        raise RuntimeError(f"schema at {sorted(current) or 'nothing'}, expected {sorted(heads)}")


def _wait_seconds() -> float:
    return float(os.environ.get("START_WAIT_SECONDS", "120"))


def web() -> None:
    _wait("the database", _database_answers, _wait_seconds())
    _wait("Redis", _redis_answers, _wait_seconds())
    _log("migrating the database")
    subprocess.run(["reflex", "db", "migrate"], cwd=APP_DIR, check=True)
    if not (BUILT_FRONTEND / "index.html").is_file():
        raise SystemExit(f"start: no built frontend in {BUILT_FRONTEND} (the image's build stage runs `reflex export`)")
    serve(os.environ.get("HOST", "0.0.0.0"), int(os.environ.get("PORT", "3000")))


def serve(host: str, port: int) -> None:
    """Reflex's production backend on one port with the built frontend mounted (no build, no Node)."""
    os.environ["REFLEX_FRONTEND_PORT"] = os.environ["REFLEX_BACKEND_PORT"] = str(port)
    from reflex.utils import exec as reflex_exec
    from reflex_base import constants
    from reflex_base.config import get_config
    from reflex_base.environment import environment

    os.chdir(APP_DIR)
    environment.REFLEX_ENV_MODE.set(constants.Env.PROD)
    environment.REFLEX_SKIP_COMPILE.set(True)  # the pages were compiled and built into the image
    _log(f"serving on http://{host}:{port} ({os.environ.get('GRANIAN_WORKERS', 'default')} backend workers)")
    reflex_exec.run_backend_prod(host, port, get_config().loglevel.subprocess_level(), mount_frontend_compiled_app=True)


def worker() -> None:
    _wait("the migrated database", _schema_is_current, _wait_seconds())
    _wait("Redis", _redis_answers, _wait_seconds())
    args = sys.argv[2:] or ["-w", "4", "-k", "thread"]
    _log(f"queue consumer: huey_consumer smartspec_app.services.worker.huey {' '.join(args)}")
    os.execvp("huey_consumer", ["huey_consumer", "smartspec_app.services.worker.huey", *args])


def main() -> None:
    sys.path.insert(0, str(APP_DIR))
    os.chdir(APP_DIR)
    role = sys.argv[1] if len(sys.argv) > 1 else "web"
    if role == "web":
        web()
    elif role == "worker":
        worker()
    else:
        os.execvp(role, sys.argv[1:])


if __name__ == "__main__":
    main()
