"""Gallery full-text search on both databases: parsing, matching by stem and phrase, ranking,
filters and sorts together with a query, and the index following every write."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text, update
from sqlmodel import Session

from smartspec_app.models import GalleryItem, utcnow
from smartspec_app.services import gallery, gallery_feed, gallery_search, moderation
from smartspec_app.services.gallery_feed import list_public
from smartspec_app.services.storage import LocalStorage
from tests.support.gallery_data import make_user, shared_item


def titles(page: gallery_feed.GalleryPage) -> list[str]:
    return [e.item.title for e in page.entries]


def test_parse_keeps_words_and_phrases_and_never_passes_syntax_through() -> None:
    assert gallery_search.parse("  ") is None and gallery_search.parse("!!! ** --") is None and gallery_search.parse(None) is None
    query = gallery_search.parse('Lighthouse "Golden  Hour" sci-fi lighthouse')
    assert query.terms == (("lighthouse",), ("golden", "hour"), ("sci", "fi"))
    assert query.text == 'lighthouse "golden hour" "sci fi"'
    assert query.fts5 == '"lighthouse" AND "golden hour" AND "sci fi"'
    assert query.tsquery == "('lighthouse') & ('golden' <-> 'hour') & ('sci' <-> 'fi')"
    hostile = gallery_search.parse("title:x OR NEAR(a b) ' \" ) ( * ^ {prompt} -y")
    assert all(word.isalnum() for term in hostile.terms for word in term)
    assert len(gallery_search.parse(" ".join(f"w{n}" for n in range(40))).terms) == gallery_search.MAX_TERMS
    assert gallery_search.parse("Éclair café").terms == (("éclair",), ("café",))


def test_matches_every_field_by_stem_and_phrase(session: Session, storage: LocalStorage) -> None:
    user = make_user(session)
    shared_item(session, storage, user, "Golden lighthouse at dawn", prompt="watercolor coast", tags="sea, sci-fi")
    shared_item(session, storage, user, "Neon city", prompt="A city at night, lighthouses far away")
    shared_item(session, storage, user, "Forest", prompt="tall trees", description="A quiet morning walk")
    assert titles(list_public(session, q="lighthouses")) == ["Golden lighthouse at dawn", "Neon city"]  # title beats prompt
    assert titles(list_public(session, q="LIGHTHOUSE")) == ["Golden lighthouse at dawn", "Neon city"]
    assert titles(list_public(session, q="sci-fi")) == ["Golden lighthouse at dawn"]  # a tag
    assert titles(list_public(session, q="morning")) == ["Forest"]  # the description
    assert titles(list_public(session, q="trees")) == ["Forest"]  # the prompt
    assert titles(list_public(session, q='"golden lighthouse"')) == ["Golden lighthouse at dawn"]
    assert titles(list_public(session, q='"lighthouse golden"')) == []  # a phrase keeps its order
    assert titles(list_public(session, q="neon lighthouse")) == ["Neon city"]  # every word required
    assert list_public(session, q="submarine").total == 0
    assert list_public(session, q="!!").total == 3  # nothing to search for: the plain listing


def test_title_matches_rank_above_prompt_matches(session: Session, storage: LocalStorage) -> None:
    user = make_user(session)
    now = utcnow()
    shared_item(session, storage, user, "Storm at sea", prompt="waves", created_at=now - timedelta(days=3))
    shared_item(session, storage, user, "Boats", prompt="boats in a storm", created_at=now)
    shared_item(session, storage, user, "Harbour", prompt="calm", tags="storm", created_at=now - timedelta(days=1))
    assert titles(list_public(session, q="storm")) == ["Storm at sea", "Harbour", "Boats"]  # title, tag, prompt
    assert titles(list_public(session, q="storm", sort_by="newest")) == ["Boats", "Harbour", "Storm at sea"]
    assert titles(list_public(session, q="storm", sort_by="relevance")) == ["Storm at sea", "Harbour", "Boats"]
    assert titles(list_public(session, sort_by="relevance")) == titles(list_public(session, sort_by="trending"))


def test_combines_with_filters_sorts_and_pages(session: Session, storage: LocalStorage) -> None:
    alice, bob = make_user(session, "alice_s"), make_user(session, "bob_s")
    now = utcnow()
    for n in range(5):
        shared_item(session, storage, alice, f"River {n}", category="nature", tags="water", likes=n, created_at=now - timedelta(hours=n))
    shared_item(session, storage, bob, "River song", task_type="speech", category="music", tags="water")
    shared_item(session, storage, bob, "Desert", category="nature")
    assert list_public(session, q="river").total == 6
    assert titles(list_public(session, q="river", category="nature", sort_by="most_liked")) == [f"River {n}" for n in (4, 3, 2, 1, 0)]
    assert titles(list_public(session, q="river", media_type="audio")) == ["River song"]
    assert titles(list_public(session, q="river", username="bob_s")) == ["River song"]
    assert list_public(session, q="water", tag="water").total == 6
    assert list_public(session, q="desert", tag="water").total == 0
    pages = [list_public(session, page, 2, q="river", sort_by="newest") for page in (1, 2, 3)]
    assert [len(p.entries) for p in pages] == [2, 2, 2] and not pages[2].has_more
    seen = [e.item.id for p in pages for e in p.entries]
    assert len(set(seen)) == 6
    relevance_pages = [e.item.id for page in (1, 2, 3) for e in list_public(session, page, 2, q="river").entries]
    assert sorted(relevance_pages) == sorted(seen)  # ties broken the same way on every page
    with pytest.raises(Exception, match="sort_by"):
        list_public(session, q="river", sort_by="random")


def test_only_listed_items_are_found(session: Session, storage: LocalStorage) -> None:
    user, admin = make_user(session), make_user(session)
    admin.is_admin = True
    session.add(admin)
    session.commit()
    shared_item(session, storage, user, "Comet public")
    shared_item(session, storage, user, "Comet private", visibility="private")
    shared_item(session, storage, user, "Comet unlisted", visibility="unlisted")
    hidden = shared_item(session, storage, user, "Comet rejected")
    moderation.reject(session, admin, hidden.id, "off-topic")
    nsfw = shared_item(session, storage, user, "Comet nsfw")
    session.exec(update(GalleryItem).where(GalleryItem.id == nsfw.id).values(is_nsfw=True))
    session.commit()
    assert titles(list_public(session, q="comet")) == ["Comet public"]


def test_the_index_follows_edits_deletes_and_raw_writes(session: Session, storage: LocalStorage) -> None:
    user = make_user(session)
    item = shared_item(session, storage, user, "Volcano", tags="fire")
    gallery.update_item(session, user, item.id, title="Glacier", tags="ice, cold", description="Blue light")
    session.commit()
    assert list_public(session, q="volcano").total == 0 and list_public(session, q="fire").total == 0
    assert list_public(session, q="glacier").total == 1 and list_public(session, q="cold").total == 1
    assert list_public(session, q="blue").total == 1
    gallery.update_item(session, user, item.id, category="nature")
    session.commit()
    assert list_public(session, q="glacier", category="nature").total == 1 and list_public(session, q="glacier", category="art").total == 0
    gallery.update_item(session, user, item.id, visibility="private")
    session.commit()
    assert list_public(session, q="glacier").total == 0
    gallery.update_item(session, user, item.id, visibility="public")
    session.commit()
    session.exec(update(GalleryItem).where(GalleryItem.id == item.id).values(likes_count=5))  # not a searched column
    session.execute(text("UPDATE gallery_items SET prompt = 'penguins' WHERE id = :id"), {"id": item.id})
    session.commit()
    assert list_public(session, q="penguin").total == 1
    other = shared_item(session, storage, user, "Glacier two")
    gallery.delete_item(session, storage, user, item.id)
    session.commit()
    assert [e.item.id for e in list_public(session, q="glacier").entries] == [other.id]
    assert list_public(session, q="penguin").total == 0


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # a SQLite matter: no PostgreSQL case to skip
def test_sqlite_vacuum_keeps_the_index_right(session: Session, storage: LocalStorage) -> None:
    """VACUUM may renumber gallery_items' implicit rowids; the index maps its rows through a table that keeps them."""
    assert session.get_bind().dialect.name == "sqlite"
    user = make_user(session)
    items = [shared_item(session, storage, user, title) for title in ("Alpha moon", "Beta moon", "Gamma sun", "Delta moon")]
    gallery.delete_item(session, storage, user, items[1].id)
    session.commit()
    session.connection().exec_driver_sql("VACUUM")
    assert {e.item.title for e in list_public(session, q="moon").entries} == {"Alpha moon", "Delta moon"}
    assert titles(list_public(session, q="sun")) == ["Gamma sun"]
    gallery.update_item(session, user, items[3].id, title="Delta star")
    session.commit()
    assert titles(list_public(session, q="moon")) == ["Alpha moon"] and titles(list_public(session, q="star")) == ["Delta star"]
