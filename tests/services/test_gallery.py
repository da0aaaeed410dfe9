"""Sharing, editing, deleting and finding gallery items, and who may see them (SQLite and PostgreSQL)."""

from __future__ import annotations

import re

import pytest
from sqlmodel import Session, select

from smartspec_app.models import GalleryItem, GalleryItemTag, GalleryLike, GallerySlugRedirect, TaskStatus
from smartspec_app.services import gallery, gallery_engagement, gallery_feed
from smartspec_app.services.errors import Conflict, NotFound, PermissionDenied, ValidationError
from smartspec_app.services.storage import LocalStorage
from tests.support.gallery_data import completed_task, make_user, shared_item

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*-[a-z0-9]{6}$")


def test_share_copies_the_media_into_the_gallery_folder(session: Session, storage: LocalStorage) -> None:
    user = make_user(session)
    task = completed_task(session, storage, user, prompt="A red fox in snow")
    item = gallery.share_to_gallery(
        session, storage, user, task.id, "  A red   fox ", "In the snow", "nature", "Fox, Winter Scenes, fox", "public"
    )
    session.commit()

    assert item.media_url == storage.url(f"gallery/{item.id}/original.png")
    assert item.thumbnail_url == storage.url(f"gallery/{item.id}/thumbnail.jpg")
    assert storage.read_bytes(f"gallery/{item.id}/original.png") == storage.read_bytes(task.output_keys[0])
    assert storage.exists(f"gallery/{item.id}/thumbnail.jpg")
    assert item.title == "A red fox"
    assert item.slug.startswith("a-red-fox-") and SLUG.match(item.slug)
    assert (item.media_type, item.prompt, item.model_id, item.category) == ("image", "A red fox in snow", task.model_id, "nature")
    assert item.tags == ["fox", "winter-scenes"]
    assert sorted(session.exec(select(GalleryItemTag.tag).where(GalleryItemTag.item_id == item.id)).all()) == ["fox", "winter-scenes"]
    assert (item.visibility, item.is_public, item.moderation_status) == ("public", True, "approved")
    assert gallery.is_listed(item)


def test_speech_is_shared_as_audio(session: Session, storage: LocalStorage) -> None:
    user = make_user(session)
    item = shared_item(session, storage, user, "Hello", task_type="speech")
    assert item.media_type == "audio"
    assert item.media_url.endswith("/original.mp3")


def test_slugs_are_unique_for_equal_titles_and_safe_for_any_title(session: Session, storage: LocalStorage) -> None:
    user = make_user(session)
    first = shared_item(session, storage, user, "Same title")
    second = shared_item(session, storage, user, "Same title")
    hostile = shared_item(session, storage, user, "</script><script>alert(1)</script>")
    symbols = shared_item(session, storage, user, "!!!")
    assert first.slug != second.slug
    assert first.slug[:-6] == second.slug[:-6] == "same-title-"
    assert SLUG.match(hostile.slug) and "<" not in hostile.slug
    assert symbols.slug.startswith("untitled-")


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("title", {"title": "   "}),
        ("title", {"title": "x" * 121}),
        ("category", {"title": "ok", "category": "no-such-category"}),
        ("visibility", {"title": "ok", "visibility": "friends"}),
        ("tags", {"title": "ok", "tags": ",".join(f"t{i}" for i in range(11))}),
        ("description", {"title": "ok", "description": "d" * 2001}),
    ],
)
def test_share_rejects_bad_input(session: Session, storage: LocalStorage, field: str, kwargs: dict) -> None:
    user = make_user(session)
    task = completed_task(session, storage, user)
    with pytest.raises(ValidationError) as caught:
        gallery.share_to_gallery(session, storage, user, task.id, **kwargs)
    assert caught.value.field == field
    assert not list(storage.list_objects("gallery/"))


def test_only_the_owner_shares_only_finished_tasks_once(session: Session, storage: LocalStorage) -> None:
    owner, other = make_user(session), make_user(session)
    task = completed_task(session, storage, owner)
    with pytest.raises(NotFound):
        gallery.share_to_gallery(session, storage, other, task.id, "Mine now")

    running = completed_task(session, storage, owner)
    running.status = TaskStatus.RUNNING
    session.add(running)
    session.commit()
    with pytest.raises(Conflict):  # 409: the request is right, the task is not there yet
        gallery.share_to_gallery(session, storage, owner, running.id, "Not yet")

    item = gallery.share_to_gallery(session, storage, owner, task.id, "Once")
    session.commit()
    with pytest.raises(Conflict) as caught:
        gallery.share_to_gallery(session, storage, owner, task.id, "Twice")
    assert caught.value.details["slug"] == item.slug


def test_without_auto_approve_items_wait_for_moderation(session: Session, storage: LocalStorage) -> None:
    user = make_user(session)
    item = shared_item(session, storage, user, "Pending", auto_approve=False)
    assert item.moderation_status == "pending"
    assert not gallery.is_listed(item)
    assert gallery_feed.list_public(session).total == 0
    assert gallery.can_view(item, user) and not gallery.can_view(item, None)


def test_visibility_rule(session: Session, storage: LocalStorage) -> None:
    owner, stranger = make_user(session), make_user(session)
    public = shared_item(session, storage, owner, "Public")
    unlisted = shared_item(session, storage, owner, "Unlisted", visibility="unlisted")
    private = shared_item(session, storage, owner, "Private", visibility="private")
    nsfw = shared_item(session, storage, owner, "Flagged")
    nsfw.is_nsfw = True
    rejected = shared_item(session, storage, owner, "Rejected")
    rejected.moderation_status = "rejected"
    session.add_all([nsfw, rejected])
    session.commit()

    listed = [e.item.id for e in gallery_feed.list_public(session).entries]
    assert listed == [public.id]
    assert [gallery.is_listed(i) for i in (public, unlisted, private, nsfw, rejected)] == [True, False, False, False, False]
    assert gallery.can_view(unlisted, None) and gallery.can_view(unlisted, stranger)
    assert not gallery.can_view(private, stranger) and gallery.can_view(private, owner)
    assert not gallery.can_view(nsfw, None) and not gallery.can_view(rejected, stranger)
    with pytest.raises(NotFound):
        gallery.get_for_viewer(session, private.slug, stranger)
    assert gallery.get_for_viewer(session, private.slug, owner).entry.item.id == private.id
    assert gallery.get_for_viewer(session, unlisted.slug, None).entry.author == owner.username


def test_new_title_new_slug_and_old_links_redirect(session: Session, storage: LocalStorage) -> None:
    owner = make_user(session)
    item = shared_item(session, storage, owner, "First title")
    first_slug = item.slug
    gallery.update_item(session, owner, item.id, title="Second title")
    session.commit()
    second_slug = item.slug
    gallery.update_item(session, owner, item.id, title="Third title", description="now described")
    session.commit()

    assert item.slug.startswith("third-title-")
    current = gallery.get_by_slug(session, item.slug)
    assert current is not None and not current.moved
    for old in (first_slug, second_slug):
        match = gallery.get_by_slug(session, old)
        assert match is not None and match.moved and match.entry.item.slug == item.slug
    assert gallery.get_by_slug(session, "no-such-slug-aaaaaa") is None
    assert session.exec(select(GallerySlugRedirect).where(GallerySlugRedirect.item_id == item.id)).all()


def test_the_same_title_keeps_the_slug(session: Session, storage: LocalStorage) -> None:
    owner = make_user(session)
    item = shared_item(session, storage, owner, "Steady")
    slug = item.slug
    gallery.update_item(session, owner, item.id, title=" Steady ", visibility="unlisted", tags=["Calm Sea"], category="art")
    session.commit()
    assert (item.slug, item.visibility, item.is_public, item.tags, item.category) == (slug, "unlisted", False, ["calm-sea"], "art")
    assert session.exec(select(GalleryItemTag.tag).where(GalleryItemTag.item_id == item.id)).all() == ["calm-sea"]


def test_only_the_author_edits_or_deletes(session: Session, storage: LocalStorage) -> None:
    owner, stranger = make_user(session), make_user(session)
    item = shared_item(session, storage, owner, "Mine")
    private = shared_item(session, storage, owner, "Hidden", visibility="private")
    with pytest.raises(PermissionDenied):
        gallery.update_item(session, stranger, item.id, title="Yours")
    with pytest.raises(NotFound):  # a private item is not revealed to strangers
        gallery.update_item(session, stranger, private.id, title="Yours")
    with pytest.raises(PermissionDenied):
        gallery.delete_item(session, storage, stranger, item.id)


def test_delete_removes_rows_and_media(session: Session, storage: LocalStorage) -> None:
    owner, fan = make_user(session), make_user(session)
    item = shared_item(session, storage, owner, "Short-lived", tags="a,b")
    gallery.update_item(session, owner, item.id, title="Renamed")
    gallery_engagement.like(session, fan, item.id)
    gallery_engagement.record_view(session, item.id, "user:1")
    session.commit()
    item_id = item.id

    gallery.delete_item(session, storage, owner, item_id)
    session.commit()
    assert session.get(GalleryItem, item_id) is None
    assert not session.exec(select(GalleryLike).where(GalleryLike.item_id == item_id)).all()
    assert not session.exec(select(GallerySlugRedirect).where(GallerySlugRedirect.item_id == item_id)).all()
    assert not list(storage.list_objects(f"gallery/{item_id}/"))


def test_clean_tags() -> None:
    assert gallery.clean_tags("Sci Fi, sci-fi ,  , Ünïcode!") == ["sci-fi", "unicode"]
    assert gallery.clean_tags(["A", "b", "a"]) == ["a", "b"]
    assert gallery.clean_tags(None) == []
