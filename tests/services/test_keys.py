from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlmodel import Session, select

from smartspec_app.models import ApiToken, ProviderKey
from smartspec_app.services import auth, keys
from smartspec_app.services.db import session_scope
from smartspec_app.services.errors import AuthenticationError, NotFound, ValidationError

K1, K2, K3 = (Fernet.generate_key().decode() for _ in range(3))


@pytest.fixture
def manager() -> keys.SecureKeyManager:
    return keys.SecureKeyManager([K1])


@pytest.fixture
def alice(engine):
    with session_scope(engine) as s:
        return auth.create_user(s, "alice@example.com", "a long password")


def test_round_trip_and_wrong_key(manager) -> None:
    token = manager.encrypt_key("kie_secret_value_1234")
    assert token != "kie_secret_value_1234"
    assert manager.decrypt_key(token) == "kie_secret_value_1234"
    with pytest.raises(keys.SecretUnreadable, match="ENCRYPTION_KEYS"):
        keys.SecureKeyManager([K2]).decrypt_key(token)


def test_tampered_ciphertext_is_refused(manager) -> None:
    token = manager.encrypt_key("kie_secret_value_1234")
    flipped = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    with pytest.raises(keys.SecretUnreadable):
        manager.decrypt_key(flipped)


def test_malformed_keys_name_their_variable() -> None:
    with pytest.raises(keys.ConfigurationError, match="ENCRYPTION_KEY is not a valid Fernet key"):
        keys.parse_keys("", "not-a-key")
    with pytest.raises(keys.ConfigurationError, match=r"ENCRYPTION_KEYS \(key 2\)"):
        keys.parse_keys(f"{K1},short", "")
    assert keys.parse_keys(f" {K1} , {K2} ", "ignored") == [K1, K2]
    assert keys.parse_keys("", K3) == [K3]


def test_a_key_file_is_made_once_with_0600_and_logged(tmp_path: Path, caplog) -> None:
    with caplog.at_level(logging.WARNING):
        first = keys.load_or_create_key_file(tmp_path)
    path = tmp_path / keys.KEY_FILE_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "generated one" in caplog.text and first not in caplog.text
    assert keys.load_or_create_key_file(tmp_path) == first
    keys.SecureKeyManager([first]).encrypt_key("works")


def test_rotation_across_three_keys_survives_an_interruption(engine, alice) -> None:
    old, middle = keys.SecureKeyManager([K1]), keys.SecureKeyManager([K2, K1])
    plains = {}
    with session_scope(engine) as s:
        for i in range(7):
            manager = old if i % 2 else middle
            _, plains[f"t{i}"] = keys.create_api_token(s, manager, alice, f"t{i}")
        keys.set_provider_key(s, old, "kie_operator_key_0001")
    newest = keys.SecureKeyManager([K3, K2, K1])
    with Session(engine) as s:
        assert sum(keys.key_usage(s, newest).values()) == 8

    class Interrupted(Exception):
        pass

    def stop_after_first(report: keys.RotationReport) -> None:
        raise Interrupted

    with pytest.raises(Interrupted):
        keys.rotate_encryption_keys(lambda: session_scope(engine), newest, batch_size=3, on_batch=stop_after_first)
    with Session(engine) as s:
        usage = keys.key_usage(s, newest)
    assert usage[f"newest ({keys.fingerprint(K3)})"] == 3  # the first batch was committed

    report = keys.rotate_encryption_keys(lambda: session_scope(engine), newest, batch_size=3)
    assert (report.rotated, report.already_current, report.unreadable) == (5, 3, [])
    again = keys.rotate_encryption_keys(lambda: session_scope(engine), newest, batch_size=3)
    assert (again.rotated, again.already_current) == (0, 8)

    only_newest = keys.SecureKeyManager([K3])  # the old keys can now be removed
    with Session(engine) as s:
        for token in s.exec(select(ApiToken)).all():
            assert only_newest.decrypt_key(token.encrypted_token) == plains[token.name]
        assert keys.kie_key_for(s, only_newest, alice.id).key == "kie_operator_key_0001"


def test_no_plaintext_key_in_the_database_file_or_logs(tmp_path: Path, caplog) -> None:
    from smartspec_app.services.db import create_tables, get_engine

    db_file = tmp_path / "secrets.db"
    engine = get_engine(f"sqlite:///{db_file}")
    create_tables(engine)
    manager = keys.SecureKeyManager([K1])
    secret = "kie_live_9f8e7d6c5b4a39281706"
    with caplog.at_level(logging.DEBUG), session_scope(engine) as s:
        user = auth.create_user(s, "bob@example.com", "a long password")
        keys.set_provider_key(s, manager, secret, user)
        _, token = keys.create_api_token(s, manager, user, "ci")
    engine.dispose()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("secrets.db*"))
    for plain in (secret, token):
        assert plain.encode() not in raw
        assert plain not in caplog.text
    assert b"kie_\xe2\x80\xa61706" in raw  # only the masked hint is readable


def test_tokens_create_use_revoke(engine, manager, alice) -> None:
    with session_scope(engine) as s:
        token, plain = keys.create_api_token(s, manager, alice, "laptop")
    assert plain.startswith("ssp_") and token.token_hint.startswith("ssp_")
    with session_scope(engine) as s:
        assert keys.authenticate_api_token(s, plain).id == alice.id
        assert keys.reveal_api_token(s, manager, alice, token.id) == plain
        assert [t.name for t in keys.list_api_tokens(s, alice)] == ["laptop"]
    with Session(engine) as s:
        assert s.get(ApiToken, token.id).last_used_at is not None
    with session_scope(engine) as s:
        keys.revoke_api_token(s, alice, token.id)
    with Session(engine) as s:
        with pytest.raises(AuthenticationError, match="revoked"):
            keys.authenticate_api_token(s, plain)
        with pytest.raises(AuthenticationError, match="Invalid API token"):
            keys.authenticate_api_token(s, "ssp_unknown")
        with pytest.raises(AuthenticationError, match="Missing API token"):
            keys.authenticate_api_token(s, "")
        assert keys.list_api_tokens(s, alice) == []


def test_tokens_belong_to_their_owner(engine, manager, alice) -> None:
    with session_scope(engine) as s:
        bob = auth.create_user(s, "bob@example.com", "a long password")
        token, _ = keys.create_api_token(s, manager, alice, "mine")
    with session_scope(engine) as s:
        with pytest.raises(NotFound):
            keys.reveal_api_token(s, manager, bob, token.id)
        with pytest.raises(NotFound):
            keys.revoke_api_token(s, bob, token.id)
        with pytest.raises(ValidationError):
            keys.create_api_token(s, manager, bob, "  ")


def test_which_kie_key_a_user_gets(engine, manager, alice) -> None:
    with Session(engine) as s:
        assert keys.kie_key_for(s, manager, alice.id) is None
        assert keys.kie_key_for(s, manager, alice.id, env_key="kie_env_key_123") == keys.ResolvedKey("kie_env_key_123", "environment")
    with session_scope(engine) as s:
        keys.set_provider_key(s, manager, "kie_operator_key_123")
    with Session(engine) as s:
        assert keys.kie_key_for(s, manager, alice.id, env_key="kie_env").source == "operator"
    with session_scope(engine) as s:
        keys.set_provider_key(s, manager, "kie_alice_own_key_99", alice)
        keys.set_provider_key(s, manager, "kie_alice_own_key_00", alice)  # replaces, not adds
    with Session(engine) as s:
        assert keys.kie_key_for(s, manager, alice.id) == keys.ResolvedKey("kie_alice_own_key_00", "user")
        assert keys.provider_key_hint(s, alice) == "kie_…y_00"
        assert len(s.exec(select(ProviderKey)).all()) == 2
    with session_scope(engine) as s, pytest.raises(ValidationError):
        keys.set_provider_key(s, manager, "short", alice)
    with session_scope(engine) as s:
        assert keys.delete_provider_key(s, alice)
    with Session(engine) as s:
        assert keys.kie_key_for(s, manager, alice.id).source == "operator"
