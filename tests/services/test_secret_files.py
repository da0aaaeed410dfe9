"""Secrets generated into DATA_DIR (services/secret_files.py): whoever starts at the same moment,
every thread and process gets the same, complete value."""

from __future__ import annotations

import multiprocessing
import os
import stat
import threading
import time
from pathlib import Path

import pytest

from smartspec_app.services import keys, sandbox_access, secret_files


def _made(label: str):
    return lambda: f"{label}-{os.getpid()}-{threading.get_ident()}-{time.monotonic_ns()}"


def test_the_first_call_creates_a_private_file_and_the_next_reads_it(tmp_path: Path) -> None:
    path = tmp_path / "data" / ".secret"
    value, created = secret_files.read_or_create(path, _made("first"))
    assert created and path.read_text() == value + "\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert secret_files.read_or_create(path, _made("second")) == (value, False)
    assert [p.name for p in path.parent.iterdir()] == [".secret"]  # no temporary files left behind


def _race(path: Path, threads: int) -> list[tuple[str, bool]]:
    start = threading.Barrier(threads)
    got: list[tuple[str, bool]] = []

    def one() -> None:
        start.wait()
        got.append(secret_files.read_or_create(path, _made("t")))

    running = [threading.Thread(target=one) for _ in range(threads)]
    for t in running:
        t.start()
    for t in running:
        t.join()
    return got


def test_threads_starting_together_all_get_the_one_secret(tmp_path: Path) -> None:
    for attempt in range(20):
        path = tmp_path / f"d{attempt}" / ".secret"
        got = _race(path, 12)
        assert len({value for value, _ in got}) == 1 and got[0][0]
        assert sum(created for _, created in got) == 1
        assert path.read_text().strip() == got[0][0]


def _in_a_process(path: str, start, out) -> None:
    start.wait()
    out.put(sandbox_access.load_or_create_secret(Path(path)))


def test_processes_starting_together_all_get_the_one_secret(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    start, out = context.Barrier(4), context.Queue()
    processes = [context.Process(target=_in_a_process, args=(str(tmp_path), start, out)) for _ in range(4)]
    for p in processes:
        p.start()
    values = {out.get(timeout=60) for _ in processes}
    for p in processes:
        p.join(10)
    assert values == {(tmp_path / sandbox_access.SECRET_FILE_NAME).read_text().strip()}


def test_a_file_caught_between_creation_and_content_is_waited_for(tmp_path: Path) -> None:
    """What another process leaves for a moment where hard links are missing: the file, still empty."""
    path = tmp_path / ".secret"
    path.touch(mode=0o600)
    threading.Timer(0.3, lambda: path.write_text("the-real-secret\n")).start()
    assert secret_files.read_or_create(path, _made("mine")) == ("the-real-secret", False)


def test_a_file_that_stays_empty_is_a_clear_error_not_an_empty_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(secret_files, "EMPTY_FILE_PATIENCE_SECONDS", 0.1)
    (tmp_path / keys.KEY_FILE_NAME).touch()
    with pytest.raises(keys.ConfigurationError, match="is empty; delete it"):
        keys.load_or_create_key_file(tmp_path)
    assert (tmp_path / keys.KEY_FILE_NAME).read_text() == ""  # left for the operator, not replaced


def test_without_hard_links_the_file_is_still_created_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_links(*_args) -> None:
        raise PermissionError("hard links are not supported here")

    monkeypatch.setattr(secret_files.os, "link", no_links)
    path = tmp_path / ".secret"
    value, created = secret_files.read_or_create(path, _made("first"))
    assert created and secret_files.read_or_create(path, _made("second")) == (value, False)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == [".secret"]
