"""Secrets generated on first start into DATA_DIR (the encryption key, the sandbox secret).

Every thread and process of a deployment must end up with the same value, even when several start at
once. The file therefore appears whole or not at all: it is written under a temporary name and
hard-linked into place, which fails if another process linked theirs first (then theirs is used). A
file that is empty for a moment (written by an older version, or on a filesystem without hard links,
where it is created exclusively and then written) is read again until its content arrives.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

EMPTY_FILE_PATIENCE_SECONDS = 2.0


class EmptySecretFile(RuntimeError):
    """The secret file stayed empty: it cannot be used, and replacing it would split the deployment."""


def read_or_create(path: Path, make: Callable[[], str]) -> tuple[str, bool]:
    """The secret stored in `path`, created (mode 0600) from `make()` if there is none yet.
    Returns the secret and whether this call created it."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        candidate = make()
        if _publish(path, candidate + "\n"):
            return candidate, True
    return _read_non_empty(path), False


def _publish(path: Path, content: str) -> bool:
    """Put `content` at `path` unless a file is there already; whether this call put it there."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mkstemp makes it 0600
    try:
        with os.fdopen(fd, "w") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        except OSError:  # no hard links here: create exclusively, then write (readers wait for it)
            return _publish_exclusively(path, content)
        return True
    finally:
        os.unlink(tmp)


def _publish_exclusively(path: Path, content: str) -> bool:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as out:
        out.write(content)
    return True


def _read_non_empty(path: Path) -> str:
    deadline = time.monotonic() + EMPTY_FILE_PATIENCE_SECONDS
    while True:
        value = path.read_text().strip()
        if value:
            return value
        if time.monotonic() > deadline:
            raise EmptySecretFile(f"{path} is empty; delete it to have a new one generated (every process must then restart)")
        time.sleep(0.02)
