"""How often the worker checks a task at the provider: often without a callback, thinning out with one."""

from __future__ import annotations

import itertools

from smartspec_app.services.generation import POLL_MAX, POLL_MAX_WITH_CALLBACK, poll_delay


def checks_within(seconds: float, *, with_callback: bool) -> int:
    """Status checks a task running `seconds` gets (the first is after the first delay)."""
    elapsed = 0.0
    for polls_done in itertools.count():
        elapsed += poll_delay(polls_done, with_callback=with_callback)
        if elapsed > seconds:
            return polls_done


def test_the_first_check_comes_soon_either_way() -> None:
    assert poll_delay(0, with_callback=False) == 0.5
    assert poll_delay(0, with_callback=True) == 2.0  # a task created 2 s ago has rarely moved yet


def test_checks_grow_to_their_ceilings_and_stay_there() -> None:
    assert poll_delay(100, with_callback=False) == POLL_MAX == 5.0
    assert poll_delay(100, with_callback=True) == POLL_MAX_WITH_CALLBACK == 30.0
    delays = [poll_delay(n, with_callback=True) for n in range(12)]
    assert delays == sorted(delays)


def test_a_callback_saves_checks_on_a_45_second_image_and_a_5_minute_video() -> None:
    assert checks_within(45, with_callback=False) == 14
    assert checks_within(45, with_callback=True) == 4  # the state moving: 2, 6.4, 16.1 and 37.4 s in
    assert checks_within(300, with_callback=False) == 65
    assert checks_within(300, with_callback=True) == 12
