"""The moderation panel in the real app: an admin approves a pending item and it appears in the public
gallery (with an audit row); a signed-in non-admin is refused on every admin page."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_generation_flow import sign_up
from tests.support.live_app import LiveApp

pytestmark = pytest.mark.e2e

SHARE_PENDING_ITEM = """
from smartspec_app.services import gallery
from smartspec_app.services.db import session_scope
from smartspec_app.services.storage import get_storage
from tests.support.gallery_data import make_user
from tests.support.moderation_data import landscape_png, task_showing
with session_scope() as session:
    painter = make_user(session, "painter")
    task = task_showing(session, get_storage(), painter, landscape_png())
    item = gallery.share_to_gallery(session, get_storage(), painter, task.id, "Quiet mountain lake", auto_approve=False)
    print(item.id, item.moderation_status)
"""


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    live = LiveApp(tmp_path_factory.mktemp("moderation") / "data", extra_env={"GALLERY_AUTO_APPROVE": "false"})
    with live.running():
        yield live


def test_admin_approves_a_pending_item_and_a_non_admin_is_refused(app: LiveApp, page: Page) -> None:
    sign_up(page, app)  # the first account is the admin
    item_id, status = app.run_python(SHARE_PENDING_ITEM).split()
    assert status == "pending"

    assert httpx.get(app.base_url + "/api/gallery").json()["total"] == 0  # pending: not public

    page.goto(app.base_url + "/admin/moderation")
    row = page.locator(f"#mod-row-{item_id}")
    expect(row).to_contain_text("Quiet mountain lake")
    expect(row.locator(".row-status")).to_have_text("pending")
    page.fill("#moderation-reason", "a calm landscape")
    row.locator(".row-approve").click()
    expect(page.locator("#moderation-notice")).to_have_text("Item approved.")
    expect(page.locator(f"#mod-row-{item_id}")).to_have_count(0)  # it left the pending queue

    page.click("#filter-approved")
    expect(page.locator(f"#mod-row-{item_id} .row-status")).to_have_text("approved")

    page.goto(app.base_url + "/admin/audit")
    first = page.locator(".audit-row").first
    expect(first).to_contain_text("approve")
    expect(first).to_contain_text("Quiet mountain lake")
    expect(first).to_contain_text("a calm landscape")

    page.goto(app.base_url + "/gallery")
    expect(page.get_by_text("Quiet mountain lake")).to_be_visible()
    assert [i["id"] for i in httpx.get(app.base_url + "/api/gallery").json()["items"]] == [item_id]

    page.goto(app.base_url + "/admin/analytics")
    expect(page.locator("#stat-items")).to_have_text("1")
    expect(page.locator(".recharts-surface").first).to_be_visible()

    other = page.context.browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        visitor = other.new_page()
        visitor.set_default_timeout(20_000)
        sign_up(visitor, app)
        expect(visitor.locator("#nav-admin")).to_have_count(0)
        for path in ("/admin/moderation", "/admin/analytics", "/admin/audit", "/admin"):
            visitor.goto(app.base_url + path)
            expect(visitor.locator("#admin-denied")).to_be_visible()
            expect(visitor.locator("#admin-nav")).to_have_count(0)
        expect(visitor.locator(".mod-row")).to_have_count(0)
        expect(visitor.locator(".audit-row")).to_have_count(0)

        slug = httpx.get(app.base_url + "/api/gallery").json()["items"][0]["slug"]
        visitor.goto(f"{app.base_url}/gallery/{slug}")
        visitor.click("#report-item")
        visitor.click("#report-reason")
        visitor.get_by_role("option", name="Spam or scam").click()
        visitor.fill("#report-details", "an advert")
        visitor.click("#report-submit")
        expect(visitor.locator("#report-item")).to_have_text("Reported")
        expect(visitor.locator("#report-item")).to_be_disabled()
    finally:
        other.close()

    page.goto(app.base_url + "/admin/moderation")
    page.click("#filter-reported")
    page.locator(f"#mod-row-{item_id} .row-title").click()
    expect(page.get_by_text("an advert")).to_be_visible()
    expect(page.locator("#detail-scores")).to_contain_text("detector")
