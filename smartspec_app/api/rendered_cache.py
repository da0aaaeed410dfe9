"""A short-lived, size-bounded cache of rendered public documents (the gallery sitemap).

A sitemap file is the same for every reader, costs seconds of CPU to render at 50,000 URLs, and may
be a minute old without harm (crawlers fetch it daily). The first request for a file streams it as
rendered and keeps the bytes; requests within `ttl` seconds get those bytes. Only documents up to
`max_entry_bytes` are kept, and all entries together stay under `max_bytes` (oldest dropped first), so
a gallery of a million items cannot grow the process by its sitemap.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator


class RenderedCache:
    def __init__(self, ttl: float = 60.0, max_bytes: int = 32 * 1024 * 1024, max_entry_bytes: int = 8 * 1024 * 1024) -> None:
        self.ttl, self.max_bytes, self.max_entry_bytes = ttl, max_bytes, max_entry_bytes
        self._entries: OrderedDict[Hashable, tuple[float, bytes]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> bytes | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if time.monotonic() - entry[0] > self.ttl:
                self._drop(key)
                return None
            return entry[1]

    def stream(self, key: Hashable, render: Callable[[], Iterator[str]]) -> Iterator[bytes]:
        """Yield the rendered chunks as they come, keeping the whole when it is small enough."""
        kept: list[bytes] | None = []
        size = 0
        for chunk in render():
            data = chunk.encode()
            size += len(data)
            if kept is not None:
                kept.append(data)
                if size > self.max_entry_bytes:
                    kept = None  # too large to keep: just stream it
            yield data
        if kept is not None:
            self._put(key, b"".join(kept))

    def _put(self, key: Hashable, body: bytes) -> None:
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = (time.monotonic(), body)
            self._size += len(body)
            while self._size > self.max_bytes and self._entries:
                self._drop(next(iter(self._entries)))

    def _drop(self, key: Hashable) -> None:
        _at, body = self._entries.pop(key)
        self._size -= len(body)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._size = 0
