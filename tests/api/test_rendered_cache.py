"""api/rendered_cache.py: kept while fresh, bounded in size, streamed as rendered."""

from __future__ import annotations

import time

from smartspec_app.api.rendered_cache import RenderedCache


def test_a_document_is_streamed_then_served_whole_until_it_is_stale() -> None:
    cache = RenderedCache(ttl=0.2)
    assert cache.get("a") is None
    assert list(cache.stream("a", lambda: iter(["<x>", "1", "</x>"]))) == [b"<x>", b"1", b"</x>"]
    assert cache.get("a") == b"<x>1</x>"
    time.sleep(0.25)
    assert cache.get("a") is None


def test_large_documents_are_streamed_but_not_kept_and_the_total_stays_bounded() -> None:
    cache = RenderedCache(ttl=60, max_bytes=10, max_entry_bytes=6)
    assert b"".join(cache.stream("big", lambda: iter(["1234", "5678"]))) == b"12345678"
    assert cache.get("big") is None  # over the entry limit
    for key in ("a", "b", "c"):
        list(cache.stream(key, lambda: iter(["1234"])))
    assert cache.get("a") is None and cache.get("b") == b"1234" and cache.get("c") == b"1234"  # the oldest gave way


def test_a_stream_the_client_dropped_keeps_nothing() -> None:
    cache = RenderedCache(ttl=60)
    stream = cache.stream("a", lambda: iter(["one", "two"]))
    assert next(stream) == b"one"
    stream.close()
    assert cache.get("a") is None  # half a document is never served
