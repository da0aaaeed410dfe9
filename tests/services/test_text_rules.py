"""The one rule for text people send (services/text_rules.py), and every service that takes text
applying it: the same refusal, naming the field, on SQLite and on PostgreSQL, with nothing written."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func
from sqlmodel import Session, select

from smartspec_app.models import ApiToken, GalleryItem, GalleryReport, GenerationTask, ModerationAction, ProviderKey, User
from smartspec_app.services import auth, catalog, gallery, generation, keys, moderation, reports, text_rules
from smartspec_app.services.errors import ValidationError
from smartspec_app.services.storage import LocalStorage
from tests.support.gallery_data import completed_task, make_user, shared_item
from tests.support.moderation_data import FixedDetector, as_detector

NUL, ESC, DEL, NEL, RLO, LRI = "\x00", "\x1b", "\x7f", "\x85", "\u202e", "\u2066"
CONTROLS = (NUL, ESC, DEL, NEL, "\x0b")
BIDI = (RLO, LRI, "\u202a", "\u2069")
CLEAN = as_detector(FixedDetector({}))


# --- the rule itself -------------------------------------------------------------------------


@pytest.mark.parametrize("char", CONTROLS)
def test_control_characters_are_refused_naming_the_field(char: str) -> None:
    with pytest.raises(ValidationError) as caught:
        text_rules.check_text(f"a{char}b", "description", "The description")
    assert caught.value.field == "description"
    assert f"U+{ord(char):04X}" in caught.value.message and caught.value.message.startswith("The description")


def test_newlines_and_tabs_pass_and_carriage_returns_become_newlines() -> None:
    assert text_rules.check_text("one\ttwo\nthree", "f", "F") == "one\ttwo\nthree"
    assert text_rules.check_text("windows\r\nold mac\rend", "f", "F") == "windows\nold mac\nend"


@pytest.mark.parametrize("char", BIDI)
def test_bidi_controls_are_refused_in_labels_only(char: str) -> None:
    assert text_rules.check_text(f"abc{char}def", "description", "The description") == f"abc{char}def"
    with pytest.raises(ValidationError) as caught:
        text_rules.check_label(f"abc{char}def", "title", "The title")
    assert caught.value.field == "title" and "bidirectional" in caught.value.message
    assert text_rules.check_label("שלום עולם مرحبا", "title", "The title") == "שלום עולם مرحبا"  # right-to-left text itself is fine


INVISIBLE_TITLES = {
    "zero-width space": "\u200b",
    "zero-width joiners and BOM": "\u200b\u200c\u200d\u2060\ufeff",
    "combining marks alone": "\u0301\u0308",
    "variation selectors": "\ufe0f\ufe0e",
    "Hangul fillers": "\u3164 \u115f\u1160 \uffa0",
    "braille blank": "\u2800\u2800",
    "grapheme joiner and soft hyphen": "\u034f\u00ad",
    "marks and spaces": " \u200b \u0301 ",
    "an LRM": "\u200e",
}


@pytest.mark.parametrize("title", INVISIBLE_TITLES.values(), ids=INVISIBLE_TITLES.keys())
def test_a_title_needs_a_visible_character(title: str) -> None:
    assert not text_rules.has_visible(title)
    with pytest.raises(ValidationError) as caught:
        gallery.clean_title(title)
    assert caught.value.field == "title" and "visible character" in caught.value.message
    assert re.fullmatch(text_rules.VISIBLE_LABEL_PATTERN, title) is None  # /api/openapi.json says the same


@pytest.mark.parametrize("title", ["Dawn", "😀", "東京の夜", "e\u0301te\u0301", "👍\ufe0f", "שלום", "-", "42", "\u200bA\u200b", "☀"])
def test_titles_that_show_something_pass(title: str) -> None:
    assert text_rules.has_visible(title)
    assert gallery.clean_title(title) == title


def test_without_bidi_removes_every_bidi_control_and_mark() -> None:
    controls = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
    assert text_rules.without_bidi(f"a{controls}b مرحبا") == "ab مرحبا"
    assert text_rules.without_bidi("\u200bzero width stays") == "\u200bzero width stays"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=12))
def test_the_documented_patterns_say_what_the_services_do(text: str) -> None:
    """/api/openapi.json carries these patterns: whatever they admit, the services accept, and the reverse."""
    assert (re.fullmatch(text_rules.TEXT_PATTERN, text) is not None) == (text_rules.problem(text, "x") is None)
    assert (re.fullmatch(text_rules.LABEL_PATTERN, text) is not None) == (text_rules.problem(text, "x", label=True) is None)
    title_ok = re.fullmatch(text_rules.VISIBLE_LABEL_PATTERN, text) is not None
    try:
        gallery.clean_title(text)
        accepted = True
    except ValidationError:
        accepted = False
    assert title_ok == accepted


# --- every service that takes text, on both databases -----------------------------------------


def _count(session: Session, model) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(model)).one()


@pytest.fixture
def world(session: Session, storage: LocalStorage) -> dict:
    admin = make_user(session, "boss")  # the first account is an admin
    owner, reader = make_user(session), make_user(session)
    task = completed_task(session, storage, owner)
    item = shared_item(session, storage, owner, "Already shared", detector=CLEAN)
    session.commit()
    return {"admin": admin, "owner": owner, "reader": reader, "task": task, "item": item, "storage": storage}


def share(world: dict, session: Session, **fields) -> Callable[[], object]:
    values = {"title": "A title", "description": "", "category": "general", "tags": None, **fields}
    return lambda: gallery.share_to_gallery(
        session, world["storage"], world["owner"], world["task"].id, auto_approve=True, detector=CLEAN, **values
    )


def edit(world: dict, session: Session, **fields) -> Callable[[], object]:
    return lambda: gallery.update_item(session, world["owner"], world["item"].id, **fields)


def generate(session: Session, user: User, model_id: str, prompt: str, **parameters) -> Callable[[], object]:
    task_type = catalog.get_model(model_id).task_type
    return lambda: generation.start_generation(session, user, task_type, model_id, prompt, parameters, "sandbox")


CASES: dict[str, tuple[Callable[[dict, Session], Callable[[], object]], str, type]] = {
    "share title NUL": (lambda w, s: share(w, s, title=f"Sun{NUL}set"), "title", GalleryItem),
    "share title RLO": (lambda w, s: share(w, s, title=f"Sun{RLO}set"), "title", GalleryItem),
    "share title isolate": (lambda w, s: share(w, s, title=f"Sun{LRI}set"), "title", GalleryItem),
    "share description ESC": (lambda w, s: share(w, s, description=f"[31m{ESC}red"), "description", GalleryItem),
    "share tag NUL": (lambda w, s: share(w, s, tags=["ok", f"b{NUL}ad"]), "tags", GalleryItem),
    "share tag RLO": (lambda w, s: share(w, s, tags=f"ok, b{RLO}ad"), "tags", GalleryItem),
    "share category NUL": (lambda w, s: share(w, s, category=f"art{NUL}"), "category", GalleryItem),
    "share title zero-width": (lambda w, s: share(w, s, title="\u200b\u200d\ufeff"), "title", GalleryItem),
    "edit title zero-width": (lambda w, s: edit(w, s, title="\u2060\u3164"), "title", None),
    "edit description after a good title": (lambda w, s: edit(w, s, title="Renamed", description=f"x{NUL}"), "description", None),
    "edit title DEL": (lambda w, s: edit(w, s, title=f"Sun{DEL}set"), "title", None),
    "edit title RLO": (lambda w, s: edit(w, s, title=f"{RLO}tesnuS"), "title", None),
    "edit description NEL": (lambda w, s: edit(w, s, description=f"one{NEL}two"), "description", None),
    "edit tags isolate": (lambda w, s: edit(w, s, tags=[f"x{LRI}y"]), "tags", None),
    "prompt NUL": (lambda w, s: generate(s, w["owner"], "nano-banana-pro", f"a fox{NUL}"), "prompt", GenerationTask),
    "prompt ESC": (lambda w, s: generate(s, w["owner"], "nano-banana-pro", f"a {ESC}[2J fox"), "prompt", GenerationTask),
    "text parameter": (
        lambda w, s: generate(s, w["owner"], "google/imagen4", "a fox", negative_prompt=f"blur{NUL}"),
        "negative_prompt",
        GenerationTask,
    ),
    "url parameter": (
        lambda w, s: generate(s, w["owner"], "nano-banana-pro", "a fox", image_input=[f"https://example.com/a{NUL}.png"]),
        "image_input",
        GenerationTask,
    ),
    "report details": (
        lambda w, s: lambda: reports.report_item(s, w["reader"], w["item"].id, "spam", f"see{NUL}", threshold=3),
        "details",
        GalleryReport,
    ),
    "report reason": (
        lambda w, s: lambda: reports.report_item(s, w["reader"], w["item"].id, f"spam{NUL}", threshold=3),
        "reason",
        GalleryReport,
    ),
    "reject reason": (lambda w, s: lambda: moderation.reject(s, w["admin"], w["item"].id, f"no{NUL}"), "reason", ModerationAction),
    "approve reason": (lambda w, s: lambda: moderation.approve(s, w["admin"], w["item"].id, f"ok{ESC}"), "reason", ModerationAction),
    "bulk reason": (
        lambda w, s: lambda: moderation.bulk(s, w["storage"], w["admin"], "reject", [w["item"].id], f"no{NUL}"),
        "reason",
        ModerationAction,
    ),
    "queue search": (lambda w, s: lambda: moderation.queue(s, "all", search=f"x{NUL}"), "q", None),
    "audit filter": (lambda w, s: lambda: moderation.audit_log(s, item_id=f"x{NUL}"), "item_id", None),
    "token name NUL": (lambda w, s: lambda: keys.create_api_token(s, keys.get_key_manager(), w["owner"], f"ci{NUL}"), "name", ApiToken),
    "token name RLO": (lambda w, s: lambda: keys.create_api_token(s, keys.get_key_manager(), w["owner"], f"ci{RLO}"), "name", ApiToken),
    "own kie.ai key": (
        lambda w, s: lambda: keys.set_provider_key(s, keys.get_key_manager(), f"kie-12345678{NUL}", w["owner"]),
        "api_key",
        ProviderKey,
    ),
    "password": (lambda w, s: lambda: auth.create_user(s, "new@example.com", f"a long{NUL} password"), "password", User),
    "password CR": (lambda w, s: lambda: auth.create_user(s, "new@example.com", "a long\r password"), "password", User),
    "e-mail": (lambda w, s: lambda: auth.create_user(s, f"new{NUL}@example.com", "a long password"), "email", User),
}


@pytest.mark.parametrize("case", CASES)
def test_every_service_refuses_the_same_way_on_every_database(data_dir, world: dict, session: Session, case: str) -> None:
    make_call, field, table = CASES[case]
    before = _count(session, table) if table else 0
    with pytest.raises(ValidationError) as caught:
        make_call(world, session)()
    assert caught.value.field == field, caught.value.message
    assert NUL not in caught.value.message and RLO not in caught.value.message  # the message itself is safe to show
    session.rollback()
    if table:
        assert _count(session, table) == before
    item = session.get(GalleryItem, world["item"].id)
    assert item.title == "Already shared" and item.moderation_status == "approved"


def test_a_refused_edit_changes_nothing_even_before_a_rollback(world: dict, session: Session) -> None:
    """Every field is checked before any is set: a bad description after a good title used to leave
    the new title and slug on the item in the session, for whatever flushed it next."""
    item = world["item"]
    slug = item.slug
    with pytest.raises(ValidationError):
        edit(world, session, title="Renamed", description=f"x{NUL}")()
    assert (item.title, item.slug) == ("Already shared", slug)
    with pytest.raises(ValidationError):
        edit(world, session, title="\u200b", tags=["fine"])()
    assert item.title == "Already shared" and item.tags != ["fine"]


def test_accepted_text_is_stored_as_sent_with_line_breaks_normalised(data_dir, world: dict, session: Session) -> None:
    item = share(world, session, title="Dawn\r\nover the sea", description="First line\r\nsecond\tline\rthird ‮ok")()
    session.commit()
    stored = session.get(GalleryItem, item.id)
    assert stored.title == "Dawn over the sea"
    assert stored.description == "First line\nsecond\tline\nthird ‮ok"  # bidi controls are refused in labels only
    task = generate(session, world["owner"], "nano-banana-pro", "a fox\r\nin the snow")()
    assert task.prompt == "a fox\nin the snow"


def test_lookups_with_control_characters_find_nothing(world: dict, session: Session) -> None:
    from smartspec_app.services import gallery_feed

    assert gallery.get_by_slug(session, f"{world['item'].slug}{NUL}") is None
    assert gallery_feed.user_exists(session, f"{world['owner'].username}{NUL}") is False
