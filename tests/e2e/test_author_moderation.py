"""The author's side of moderation in the real app: "My gallery" and the item page say why an item is
not public (the moderator's reason, the detector's labels), and the author asks once for a re-review."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_generation_flow import sign_up
from tests.support.browser import ConsoleErrors
from tests.support.live_app import LiveApp

pytestmark = pytest.mark.e2e

SHARE_AND_MODERATE = """
import json, sys
from sqlmodel import select
from smartspec_app.models import User
from smartspec_app.services import gallery, moderation
from smartspec_app.services.db import session_scope
from smartspec_app.services.storage import get_storage
from tests.support.gallery_data import completed_task, make_user
from tests.support.moderation_data import FixedDetector, landscape_png, share_showing
with session_scope() as session:
    author = session.exec(select(User).where(User.email == sys.argv[1])).one()
    admin = make_user(session, "e2e_moderator")
    admin.is_admin = True
    storage = get_storage()
    rejected = gallery.share_to_gallery(session, storage, author, completed_task(session, storage, author).id, "Rejected harbour")
    moderation.reject(session, admin, rejected.id, "Looks like a watermarked stock photo")
    flagged = share_showing(session, storage, author, landscape_png(), title="Flagged beach",
                            detector=FixedDetector({"FEMALE_BREAST_EXPOSED": 0.82}))
    print(json.dumps({"rejected": rejected.slug, "flagged": flagged.slug, "username": author.username}))
"""


def test_the_author_sees_why_and_asks_for_a_re_review_once(live_app: LiveApp, page: Page, console_errors: ConsoleErrors) -> None:
    console_errors.expect(r"status of 404", "a page of an item that is not public answers 404 (crawlers); the author's browser shows it")
    email = sign_up(page, live_app)
    made = json.loads(live_app.run_python(SHARE_AND_MODERATE, email))

    page.goto(f"{live_app.base_url}/gallery/user/{made['username']}")
    cards = page.locator(".gallery-card")
    expect(cards).to_have_count(2)
    expect(cards.filter(has_text="Rejected harbour").locator(".card-reason")).to_have_text("Looks like a watermarked stock photo")
    expect(cards.filter(has_text="Flagged beach").locator(".card-moderation")).to_contain_text("exposed female breast (0.82)")

    page.goto(f"{live_app.base_url}/gallery/{made['flagged']}")
    expect(page.locator("#moderation-state")).to_have_text("flagged")
    expect(page.locator("#moderation-labels")).to_contain_text("exposed female breast (0.82)")

    page.goto(f"{live_app.base_url}/gallery/{made['rejected']}")
    expect(page.locator("#moderation-state")).to_have_text("rejected")
    expect(page.locator("#moderation-explanation")).to_have_text("Looks like a watermarked stock photo")
    page.click("#request-review")
    page.fill("#review-note", "x" * 1000)
    page.fill("#review-note", "It is my own photograph, taken last summer.")
    page.click("#review-submit")
    expect(page.locator("#review-requested")).to_contain_text("a moderator will look again")
    expect(page.locator("#request-review")).to_have_count(0)
    page.reload()  # once per item: the button does not come back
    expect(page.locator("#review-requested")).to_be_visible()
    expect(page.locator("#request-review")).to_have_count(0)
