"""The image's HEALTHCHECK: exit 0 when this container does its job, 1 (with the reason) when not.

    healthcheck.py          the web role: GET /api/health on 127.0.0.1:$PORT answers 200
    healthcheck.py worker   a queue consumer: Redis (the queue) and the database answer

Standard library only for the web role, so a probe every few seconds costs little.
"""

from __future__ import annotations

import os
import sys
import urllib.request


def web() -> None:
    url = f"http://127.0.0.1:{os.environ.get('PORT', '3000')}/api/health"
    with urllib.request.urlopen(url, timeout=4) as response:
        if response.status != 200:
            raise RuntimeError(f"{url} answered {response.status}")


def worker() -> None:
    import redis
    from sqlalchemy import create_engine, text

    from smartspec_app.settings import get_settings

    settings = get_settings()
    if settings.redis_url:
        redis.Redis.from_url(settings.redis_url, socket_timeout=3, socket_connect_timeout=3).ping()
    engine = create_engine(settings.resolved_database_url)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    finally:
        engine.dispose()


def main() -> int:
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    try:
        if sys.argv[1:] == ["worker"]:
            worker()
        else:
            web()
    except Exception as exc:
        print(f"unhealthy: {type(exc).__name__}: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
