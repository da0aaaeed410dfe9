"""A small closed-loop HTTP load generator: `concurrency` async workers (httpx) each send a request,
wait for the answer and send the next, for `duration` seconds after a warm-up."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import httpx

from bench.common import percentile


@dataclass
class LoadResult:
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float] = field(repr=False)
    statuses: dict[int, int] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def p50(self) -> float:
        return percentile(self.latencies_ms, 50)

    @property
    def p99(self) -> float:
        return percentile(self.latencies_ms, 99)


async def _load(urls: Sequence[str], concurrency: int, duration: float, warmup: float) -> LoadResult:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    cycle = itertools.cycle(urls)
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        start = time.perf_counter()
        measure_from = start + warmup
        stop = measure_from + duration

        async def worker() -> None:
            nonlocal errors
            while True:
                sent = time.perf_counter()
                if sent >= stop:
                    return
                try:
                    response = await client.get(next(cycle))
                    await response.aread()
                    status = response.status_code
                except httpx.HTTPError:
                    status = 0
                done = time.perf_counter()
                if sent >= measure_from:
                    statuses[status] = statuses.get(status, 0) + 1
                    if status == 200:
                        latencies.append((done - sent) * 1000)
                    else:
                        errors += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        ended = time.perf_counter()
    return LoadResult(len(latencies), errors, max(ended - measure_from, 1e-9), latencies, statuses)


def load(urls: str | Sequence[str], *, concurrency: int = 8, duration: float = 8.0, warmup: float = 1.0) -> LoadResult:
    """Closed-loop load on one URL (or several in turn); only 200s count as requests, anything else as errors."""
    return asyncio.run(_load([urls] if isinstance(urls, str) else urls, concurrency, duration, warmup))


def sequential(urls: str | Sequence[str], count: int, client: httpx.Client | None = None) -> list[float]:
    """Latencies (ms) of `count` requests sent one after another."""
    own = client is None
    client = client or httpx.Client(timeout=60)
    latencies = []
    cycle = itertools.cycle([urls] if isinstance(urls, str) else urls)
    try:
        for _ in range(count):
            url = next(cycle)
            started = time.perf_counter()
            response = client.get(url)
            latencies.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"{url} answered {response.status_code}")
    finally:
        if own:
            client.close()
    return latencies
