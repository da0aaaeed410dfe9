"""The console watch every browser test runs under: it sees errors in any page of any context, and a
test can only get past one by declaring it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from tests.support.browser import ConsoleErrors

pytestmark = pytest.mark.e2e
FAULTY_PAGE = """<p>faulty</p><script>
console.error("deliberate console error");
console.warn("a warning is not an error");
setTimeout(() => { throw new TypeError("thrown on purpose"); });
</script>"""


def _visit_faulty_page(browser: Browser, pages: int = 1) -> None:
    context = browser.new_context()
    try:
        for _ in range(pages):
            page = context.new_page()
            page.set_content(FAULTY_PAGE)
            page.wait_for_timeout(200)
    finally:
        context.close()


def test_errors_in_every_page_are_seen_and_only_declared_ones_pass(browser: Browser, console_errors: ConsoleErrors) -> None:
    console_errors.expect(r"deliberate console error", "this test makes the faulty page on purpose")
    console_errors.expect(r"uncaught TypeError .*thrown on purpose", "this test makes the faulty page on purpose")

    watch = ConsoleErrors()
    watch.watch(browser)
    try:
        watch.start()
        _visit_faulty_page(browser, pages=2)
        problems = watch.problems()
        assert len(problems) == 4, problems  # two pages, each one console.error and one uncaught error; no warning
        assert sum("console.error on about:blank: deliberate console error" in p for p in problems) == 2
        assert sum("uncaught TypeError on about:blank: thrown on purpose" in p for p in problems) == 2

        watch.start()
        watch.expect(r"deliberate", "declared")
        watch.expect(r"thrown on purpose", "declared")
        _visit_faulty_page(browser)
        assert watch.problems() == []

        watch.start()
        watch.expect(r"an error that never comes", "declared but not provoked")
        assert watch.problems() == ["an expected console error never happened: /an error that never comes/ (declared but not provoked)"]
        with pytest.raises(ValueError):
            watch.expect(r"anything", " ")
    finally:
        browser.remove_listener("context", watch._watch_context)
