"""Fault injection for the kie.ai sandbox, asked for by markers in the prompt.

A marker is `[sandbox:NAME]` or `[sandbox:NAMExN]` (the fault hits the first N calls, then stops).
Several may be combined: `[sandbox:429x2] [sandbox:expired]`.

| name | effect |
|---|---|
| slow | every sandbox answer for the task waits SANDBOX_SLOW_SECONDS, and the task takes 3× longer |
| slowrecord | only recordInfo answers wait SANDBOX_SLOW_SECONDS |
| 429 | createTask answers the envelope code 429 (rate limited) |
| 500 | createTask answers the envelope code 500 |
| http500 | createTask answers HTTP 500 with a body that is not JSON |
| record500 | recordInfo answers the envelope code 500 |
| malformed | recordInfo answers HTTP 200 with a body that is not JSON |
| badresult | the finished task's resultJson is not valid JSON |
| unknownstate | recordInfo reports a state kie.ai does not document |
| fail | the task ends in state `fail` with failCode 501 |
| expired | the result URL answers 410 Gone |
| nocallback | no callback is sent when the task ends |
"""

from __future__ import annotations

import re
import threading
from collections import Counter

FAULT_NAMES = (
    "slow", "slowrecord", "429", "500", "http500", "record500", "malformed", "badresult", "unknownstate", "fail", "expired", "nocallback",
)  # fmt: skip
_MARKER = re.compile(r"\[sandbox:([a-z0-9]+?)(?:x(\d+))?\]", re.IGNORECASE)
UNLIMITED = 10**9


def parse_faults(prompt: str) -> dict[str, int]:
    """{fault name: how many calls it hits} from the markers in a prompt; unknown names are ignored."""
    faults: dict[str, int] = {}
    for name, count in _MARKER.findall(prompt or ""):
        name = name.lower()
        if name in FAULT_NAMES:
            faults[name] = int(count) if count else UNLIMITED
    return faults


def encode(faults: dict[str, int]) -> str | None:
    return ",".join(f"{k}x{v}" for k, v in sorted(faults.items())) or None


def decode(text: str | None) -> dict[str, int]:
    faults: dict[str, int] = {}
    for part in (text or "").split(","):
        if "x" in part:
            name, _, count = part.rpartition("x")
            faults[name] = int(count)
    return faults


class FaultCounter:
    """Counts how often a fault has fired, per key (a prompt or a task id), in memory."""

    def __init__(self) -> None:
        self._fired: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()

    def fire(self, key: str, name: str, faults: dict[str, int]) -> bool:
        """True when fault `name` applies to this call (and counts it)."""
        limit = faults.get(name, 0)
        with self._lock:
            if self._fired[(key, name)] >= limit:
                return False
            self._fired[(key, name)] += 1
            return True


counter = FaultCounter()
