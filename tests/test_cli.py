from __future__ import annotations

from sqlmodel import Session, select

from smartspec_app import cli
from smartspec_app.models import User


def test_make_admin_promotes_an_existing_account(app_env, engine, capsys) -> None:
    assert cli.main(["create-user", "first@example.com", "a long password"]) == 0
    assert cli.main(["create-user", "second@example.com", "a long password"]) == 0
    with Session(engine) as s:
        assert s.exec(select(User.is_admin).where(User.email == "second@example.com")).one() is False
    assert cli.main(["make-admin", "Second@Example.com"]) == 0
    with Session(engine) as s:
        assert s.exec(select(User.is_admin).where(User.email == "second@example.com")).one() is True
    assert "second@example.com is now an admin" in capsys.readouterr().out


def test_unknown_account_is_a_clear_error(app_env, engine, capsys) -> None:
    assert cli.main(["make-admin", "nobody@example.com"]) == 1
    assert "No account with the e-mail nobody@example.com" in capsys.readouterr().err


def test_rotate_keys_moves_every_secret_to_the_newest_key(app_env, engine, monkeypatch, capsys) -> None:
    from cryptography.fernet import Fernet

    from smartspec_app.services import keys
    from smartspec_app.services.db import session_scope
    from smartspec_app.settings import reload_settings

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setenv("ENCRYPTION_KEYS", old)
    reload_settings()
    assert cli.main(["create-user", "owner@example.com", "a long password"]) == 0
    with session_scope() as s:
        user = s.exec(select(User).where(User.email == "owner@example.com")).one()
        _, plain = keys.create_api_token(s, keys.get_key_manager(), user, "ci")
        keys.set_provider_key(s, keys.get_key_manager(), "kie-key-0123456789abcdef")

    monkeypatch.setenv("ENCRYPTION_KEYS", f"{new},{old}")
    reload_settings()
    manager = keys.get_key_manager()
    with session_scope() as s:
        assert sum(keys.key_usage(s, manager).values()) == 2
        assert keys.key_usage(s, manager).get(manager.key_label(manager.encrypt_key("x")), 0) == 0
    assert cli.main(["rotate-keys", "--batch-size", "1"]) == 0
    assert "re-encrypted 2 secrets" in capsys.readouterr().out

    monkeypatch.setenv("ENCRYPTION_KEYS", new)  # the old key is gone: everything must still open
    reload_settings()
    with session_scope() as s:
        assert keys.authenticate_api_token(s, plain).email == "owner@example.com"
        assert keys.kie_key_for(s, keys.get_key_manager(), None).key == "kie-key-0123456789abcdef"


def test_rotate_keys_names_secrets_no_key_opens(app_env, engine, monkeypatch, capsys) -> None:
    from cryptography.fernet import Fernet

    from smartspec_app.services import keys
    from smartspec_app.services.db import session_scope
    from smartspec_app.settings import reload_settings

    monkeypatch.setenv("ENCRYPTION_KEYS", Fernet.generate_key().decode())
    reload_settings()
    with session_scope() as s:
        keys.set_provider_key(s, keys.get_key_manager(), "kie-key-0123456789abcdef")
    monkeypatch.setenv("ENCRYPTION_KEYS", Fernet.generate_key().decode())
    reload_settings()
    assert cli.main(["rotate-keys"]) == 1
    assert "No configured key opens provider_keys#1" in capsys.readouterr().err


def test_rescan_nsfw_scans_what_was_shared_without_a_detector(app_env, engine, monkeypatch, capsys) -> None:
    from smartspec_app.services import nsfw
    from smartspec_app.services.storage import get_storage
    from smartspec_app.settings import reload_settings
    from tests.support.gallery_data import make_user
    from tests.support.moderation_data import landscape_png, share_showing

    with Session(engine, expire_on_commit=False) as s:
        item = share_showing(s, get_storage(), make_user(s), landscape_png(), title="Mountains", detector=nsfw.NoDetector())
    monkeypatch.setenv("NSFW_DETECTOR", "none")
    reload_settings()
    assert cli.main(["rescan-nsfw"]) == 1
    assert "No NSFW detector is installed" in capsys.readouterr().err

    if not nsfw.get_detector("nudenet").available:
        return  # the optional extra is not installed: the refusal above is all there is to check
    monkeypatch.setenv("NSFW_DETECTOR", "nudenet")
    reload_settings()
    assert cli.main(["rescan-nsfw"]) == 0
    out = capsys.readouterr().out
    assert f"{item.id} (Mountains): clean" in out and "scanned 1 item with nudenet" in out and "0 flagged" in out
    assert cli.main(["rescan-nsfw"]) == 0 and "scanned 0 items" in capsys.readouterr().out


def test_create_token_prints_a_working_token_once_on_stdout(app_env, engine, capsys) -> None:
    from smartspec_app.models import ApiToken
    from smartspec_app.services import keys

    assert cli.main(["create-user", "sdk@example.com", "a long password"]) == 0
    capsys.readouterr()
    assert cli.main(["create-token", "SDK@example.com", "--name", "ci deploy"]) == 0
    out, err = capsys.readouterr()
    token = out.strip()
    assert token.startswith(keys.TOKEN_PREFIX) and "\n" not in token  # stdout carries the token alone: TOKEN=$(...) works
    assert "ci deploy" in err and "sdk@example.com" in err and token not in err
    with Session(engine) as s:
        assert keys.authenticate_api_token(s, token).email == "sdk@example.com"
        assert s.exec(select(ApiToken.name)).all() == ["ci deploy"]


def test_create_token_for_an_unknown_account_is_a_clear_error(app_env, engine, capsys) -> None:
    assert cli.main(["create-token", "nobody@example.com"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "No account with the e-mail nobody@example.com" in err


def test_create_user_follows_admin_emails(app_env, engine, monkeypatch) -> None:
    from smartspec_app.settings import reload_settings

    monkeypatch.setenv("ADMIN_EMAILS", "boss@example.com")
    reload_settings()
    assert cli.main(["create-user", "first@example.com", "a long password"]) == 0  # listed admins only: the first is not one
    assert cli.main(["create-user", "boss@example.com", "a long password"]) == 0
    with Session(engine) as s:
        assert s.exec(select(User.email).where(User.is_admin)).all() == ["boss@example.com"]
