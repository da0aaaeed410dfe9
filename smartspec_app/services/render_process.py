"""The sandbox's renders run in a helper process of their own, started on first use.

Drawing a 1024×1024 picture and encoding it as PNG is about 50 ms of Pillow. With hundreds of sandbox
tasks finishing a minute that was a quarter of the embedded backend's busy time, spent in the process
that also serves the pages, the sandbox's HTTP and the queue threads. In a process of its own a render
uses the machine's other core and none of the backend's. One helper (renders are short and each task
has one); if it cannot start, or dies, the render runs in the calling thread, as it did before.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import threading
from collections.abc import Callable
from concurrent.futures import CancelledError, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")

_executor: ProcessPoolExecutor | None = None
_lock = threading.Lock()


def _helper() -> ProcessPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            # spawn, not fork: the backend has threads and an event loop that a forked child must not inherit
            _executor = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=_quiet_on_ctrl_c)
        return _executor


def _quiet_on_ctrl_c() -> None:
    """Ctrl-C in a terminal reaches the whole process group: the backend stops the helper itself,
    without a KeyboardInterrupt traceback from the helper on the console."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def run(fn: Callable[..., T], *args) -> T:
    """`fn(*args)` in the helper process (`fn` and its arguments must pickle); its exceptions are raised here."""
    executor: ProcessPoolExecutor | None = None
    try:
        executor = _helper()
        future = executor.submit(fn, *args)
    except (BrokenProcessPool, OSError, RuntimeError) as exc:  # RuntimeError: stopped by another thread meanwhile
        log.warning("render helper process unavailable (%s); rendering in this process", exc)
        _retire(executor)
        return fn(*args)
    try:
        return future.result()
    except BrokenProcessPool as exc:  # the helper died (killed, out of memory): start another next time
        log.warning("render helper process died (%s); rendering in this process", exc)
        _retire(executor)
        return fn(*args)
    except CancelledError:  # `shutdown()` cancelled the render before it began
        return fn(*args)


def _retire(executor: ProcessPoolExecutor | None) -> None:
    """Let go of a helper that failed this caller, unless another caller has already replaced it:
    a late caller must not stop (and cancel the renders of) the helper started since."""
    global _executor
    with _lock:
        if executor is None or _executor is not executor:
            return
        _executor = None
    executor.shutdown(wait=False)


def shutdown() -> None:
    """Stop the helper process now, cancelling renders not yet begun (tests); the next render starts
    another. A backend that exits needs no call: concurrent.futures stops the helper at exit."""
    global _executor
    with _lock:
        executor, _executor = _executor, None
    if executor is not None:
        executor.shutdown(wait=True, cancel_futures=True)
