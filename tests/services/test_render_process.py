"""The sandbox's render helper process (services/render_process.py): renders run in another process,
their errors come back, and a helper that dies is replaced without losing the render."""

from __future__ import annotations

import io
import os
import signal
import threading
import time
from collections.abc import Iterator

import pytest
from PIL import Image

from smartspec_app.services import render_process, sandbox_render


@pytest.fixture(autouse=True)
def fresh_helper() -> Iterator[None]:
    render_process.shutdown()
    yield
    render_process.shutdown()


def _fails(message: str) -> None:
    raise ValueError(message)


def test_a_render_runs_in_another_process_and_gives_the_same_picture() -> None:
    assert render_process.run(os.getpid) != os.getpid()
    here = sandbox_render.render_image("A lighthouse at dusk", 320, 200, "png")
    there = render_process.run(sandbox_render.render_image, "A lighthouse at dusk", 320, 200, "png")
    assert there == here  # deterministic: the same prompt and size give the same bytes
    with Image.open(io.BytesIO(there)) as image:
        assert image.size == (320, 200)


def test_an_error_in_the_helper_is_raised_to_the_caller() -> None:
    with pytest.raises(ValueError, match="no such format"):
        render_process.run(_fails, "no such format")
    assert render_process.run(os.getpid) != os.getpid()  # the helper is still there


def test_a_helper_that_dies_is_replaced_and_the_render_still_happens() -> None:
    first = render_process.run(os.getpid)
    os.kill(first, signal.SIGKILL)
    time.sleep(0.5)
    assert render_process.run(os.getpid) == os.getpid()  # the call that meets the dead helper renders here
    after = render_process.run(os.getpid)  # and the next one starts a new helper
    assert after not in (first, os.getpid())


def test_the_helper_leaves_ctrl_c_to_the_backend() -> None:
    assert render_process.run(signal.getsignal, signal.SIGINT) == signal.SIG_IGN


def test_a_late_caller_of_a_dead_helper_leaves_its_replacement_running() -> None:
    """Two renders can meet the same dead helper; the second to notice must not stop the new one."""
    render_process.run(os.getpid)
    dead = render_process._executor
    os.kill(render_process.run(os.getpid), signal.SIGKILL)
    time.sleep(0.5)
    assert render_process.run(os.getpid) == os.getpid()  # the first caller to notice renders here
    replacement = render_process.run(os.getpid)
    render_process._retire(dead)  # the second caller, noticing late
    assert render_process.run(os.getpid) == replacement  # still the replacement, not stopped


def test_a_render_cancelled_by_a_stopping_backend_still_happens() -> None:
    render_process.run(os.getpid)
    for _ in range(3):  # busy, its call queue full: the next render waits, cancellable, in the executor
        render_process._executor.submit(time.sleep, 0.5)
    results: list[int] = []
    waiting = threading.Thread(target=lambda: results.append(render_process.run(os.getpid)))
    waiting.start()
    time.sleep(0.3)
    render_process.shutdown()  # cancels the waiting render
    waiting.join(5)
    assert results == [os.getpid()]  # rendered in the calling process instead of failing
