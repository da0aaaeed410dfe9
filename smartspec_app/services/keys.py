"""Secrets at rest: Fernet encryption with rotation (MultiFernet), provider keys and API tokens.

Keys come from ENCRYPTION_KEYS (comma-separated, newest first) or ENCRYPTION_KEY. With neither,
a key is generated on first start into DATA_DIR/.encryption_key (mode 0600) and the log says so.
Every stored secret is a Fernet token; `rotate_encryption_keys` re-encrypts them to the newest key.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlmodel import Session, col, select

from smartspec_app.models import ApiToken, ProviderKey, User, utcnow
from smartspec_app.services import secret_files
from smartspec_app.services.errors import AuthenticationError, Conflict, NotFound, SmartSpecError, ValidationError
from smartspec_app.services.text_rules import check_label, check_text

log = logging.getLogger(__name__)
KEY_FILE_NAME = ".encryption_key"
TOKEN_PREFIX = "ssp_"
OPERATOR = "operator"


class ConfigurationError(SmartSpecError):
    """A setting the app cannot start with."""

    http_status = 500
    code = "configuration_error"


class SecretUnreadable(SmartSpecError):
    """A stored secret that none of the configured keys can decrypt."""

    http_status = 500
    code = "secret_unreadable"


def fingerprint(key: str) -> str:
    """A short, safe name for a key (shown in the admin panel; never the key itself)."""
    return hashlib.sha256(key.encode()).hexdigest()[:8]


class SecureKeyManager:
    """Encrypts with the newest key, decrypts with any configured key."""

    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ConfigurationError("No encryption key configured")
        self.keys = keys
        self._fernets = [Fernet(k.encode()) for k in keys]
        self._multi = MultiFernet(self._fernets)

    def encrypt_key(self, plain: str) -> str:
        return self._multi.encrypt(plain.encode()).decode()

    def decrypt_key(self, token: str) -> str:
        try:
            return self._multi.decrypt(token.encode()).decode()
        except (InvalidToken, ValueError):
            raise SecretUnreadable(
                "A stored secret cannot be decrypted with the configured ENCRYPTION_KEYS (wrong key, or tampered data)"
            ) from None

    def is_current(self, token: str) -> bool:
        """True when the token is encrypted with the newest key."""
        try:
            self._fernets[0].decrypt(token.encode())
        except (InvalidToken, ValueError):
            return False
        return True

    def rotate(self, token: str) -> str:
        """The same secret, encrypted with the newest key."""
        try:
            return self._multi.rotate(token.encode()).decode()
        except (InvalidToken, ValueError):
            raise SecretUnreadable("A stored secret cannot be decrypted with the configured ENCRYPTION_KEYS") from None

    def key_label(self, token: str) -> str:
        """Which configured key opens the token ("newest", "older #2"...), or "unreadable"."""
        for index, fernet in enumerate(self._fernets):
            try:
                fernet.decrypt(token.encode())
            except (InvalidToken, ValueError):
                continue
            return f"{'newest' if index == 0 else f'older #{index}'} ({fingerprint(self.keys[index])})"
        return "unreadable"


def parse_keys(encryption_keys: str, encryption_key: str) -> list[str]:
    """The configured keys, newest first; a malformed one is an error naming its variable."""
    variable, raw = ("ENCRYPTION_KEYS", encryption_keys) if encryption_keys.strip() else ("ENCRYPTION_KEY", encryption_key)
    keys = [k.strip() for k in raw.split(",") if k.strip()]
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode())
        except (ValueError, TypeError):
            where = f" (key {position})" if len(keys) > 1 else ""
            raise ConfigurationError(
                f"{variable}{where} is not a valid Fernet key: it must be 32 url-safe base64-encoded bytes; "
                'make one with: python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
            ) from None
    return keys


def load_or_create_key_file(data_dir: Path) -> str:
    """The key in DATA_DIR/.encryption_key, made (0600) on first use; every caller gets the same one."""
    path = data_dir / KEY_FILE_NAME
    try:
        key, created = secret_files.read_or_create(path, lambda: Fernet.generate_key().decode())
    except secret_files.EmptySecretFile as exc:
        raise ConfigurationError(str(exc)) from None
    if created:
        log.warning("No ENCRYPTION_KEY set: generated one in %s (mode 0600). Back it up, or set ENCRYPTION_KEYS in production.", path)
    return key


def manager_from_settings(settings) -> SecureKeyManager:
    keys = parse_keys(settings.encryption_keys, settings.encryption_key)
    if not keys:
        keys = parse_keys("", load_or_create_key_file(settings.data_dir))
    return SecureKeyManager(keys)


_manager_cache: dict[tuple[str, str, str], SecureKeyManager] = {}


def get_key_manager() -> SecureKeyManager:
    from smartspec_app.settings import get_settings

    settings = get_settings()
    cache_key = (settings.encryption_keys, settings.encryption_key, str(settings.data_dir))
    if cache_key not in _manager_cache:
        _manager_cache[cache_key] = manager_from_settings(settings)
    return _manager_cache[cache_key]


def mask(secret: str) -> str:
    """First 4 and last 4 characters; short secrets show less."""
    if len(secret) <= 10:
        return secret[:2] + "…"
    return f"{secret[:4]}…{secret[-4:]}"


# ---------------------------------------------------------------------------------------------
# Provider keys (the operator's, and users' own)
# ---------------------------------------------------------------------------------------------


def _owner(user: User | None) -> str:
    return OPERATOR if user is None else f"user:{user.id}"


def set_provider_key(
    session: Session, manager: SecureKeyManager, plain: str, user: User | None = None, provider: str = "kie"
) -> ProviderKey:
    plain = check_text(plain, "api_key", "The key").strip()
    if len(plain) < 8 or any(c.isspace() for c in plain):
        raise ValidationError("That does not look like an API key (at least 8 characters, no spaces)", field="api_key")
    owner = _owner(user)
    row = session.exec(select(ProviderKey).where(ProviderKey.provider == provider, ProviderKey.owner_key == owner)).first()
    if row is None:
        row = ProviderKey(provider=provider, owner_key=owner, user_id=None if user is None else user.id, encrypted_key="", key_hint="")
    row.encrypted_key = manager.encrypt_key(plain)
    row.key_hint = mask(plain)
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    return row


def delete_provider_key(session: Session, user: User | None = None, provider: str = "kie") -> bool:
    row = session.exec(select(ProviderKey).where(ProviderKey.provider == provider, ProviderKey.owner_key == _owner(user))).first()
    if row is None:
        return False
    session.delete(row)
    return True


def provider_key_hint(session: Session, user: User | None = None, provider: str = "kie") -> str | None:
    row = session.exec(select(ProviderKey).where(ProviderKey.provider == provider, ProviderKey.owner_key == _owner(user))).first()
    return None if row is None else row.key_hint


@dataclass(frozen=True)
class ResolvedKey:
    key: str
    source: str  # "user" | "operator" | "environment"


def kie_key_for(session: Session, manager: SecureKeyManager, user_id: int | None, env_key: str = "") -> ResolvedKey | None:
    """The kie.ai key a user's tasks use: their own, else the operator's from the admin panel, else KIE_AI_API_KEY."""
    owners = ([f"user:{user_id}"] if user_id is not None else []) + [OPERATOR]
    rows = session.exec(select(ProviderKey).where(ProviderKey.provider == "kie", col(ProviderKey.owner_key).in_(owners))).all()
    by_owner = {r.owner_key: r for r in rows}
    for owner in owners:
        if owner in by_owner:
            return ResolvedKey(manager.decrypt_key(by_owner[owner].encrypted_key), "user" if owner != OPERATOR else "operator")
    return ResolvedKey(env_key, "environment") if env_key else None


# ---------------------------------------------------------------------------------------------
# API tokens
# ---------------------------------------------------------------------------------------------


def _token_hash(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def create_api_token(session: Session, manager: SecureKeyManager, user: User, name: str) -> tuple[ApiToken, str]:
    """A new token; the plain text is returned once here (and later only to its owner)."""
    name = check_label(name, "name", "The token name").strip()
    if not name or len(name) > 80:
        raise ValidationError("Give the token a name of 1–80 characters", field="name")
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id, name=name, token_hash=_token_hash(plain), encrypted_token=manager.encrypt_key(plain), token_hint=mask(plain)
    )
    session.add(token)
    session.flush()
    return token, plain


def list_api_tokens(session: Session, user: User, include_revoked: bool = False) -> list[ApiToken]:
    query = select(ApiToken).where(ApiToken.user_id == user.id)
    if not include_revoked:
        query = query.where(col(ApiToken.revoked_at).is_(None))
    return list(session.exec(query.order_by(col(ApiToken.created_at).desc())).all())


def _own_token(session: Session, user: User, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound("No such API token")
    return token


def revoke_api_token(session: Session, user: User, token_id: int) -> ApiToken:
    token = _own_token(session, user, token_id)
    token.revoked_at = token.revoked_at or utcnow()
    session.add(token)
    return token


def reveal_api_token(session: Session, manager: SecureKeyManager, user: User, token_id: int) -> str:
    """The plain token, for its owner only (the SDK viewer fills it in)."""
    token = _own_token(session, user, token_id)
    if token.revoked_at is not None:
        raise Conflict("This token was revoked", field="token_id")
    return manager.decrypt_key(token.encrypted_token)


def authenticate_api_token(session: Session, plain: str | None) -> User:
    """The user behind a Bearer token; AuthenticationError with a clear message otherwise."""
    if not plain:
        raise AuthenticationError("Missing API token: send the header 'Authorization: Bearer <token>'")
    row = session.exec(
        select(ApiToken, User).join(User, User.id == ApiToken.user_id).where(ApiToken.token_hash == _token_hash(plain))
    ).first()
    if row is None:
        raise AuthenticationError("Invalid API token")
    token, user = row
    if token.revoked_at is not None:
        raise AuthenticationError("This API token was revoked")
    if not user.is_active:
        raise AuthenticationError("This account is disabled")
    now = utcnow()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:  # one write a minute at most
        token.last_used_at = now
        session.add(token)
    return user


# ---------------------------------------------------------------------------------------------
# Rotation and statistics
# ---------------------------------------------------------------------------------------------

ENCRYPTED_COLUMNS = ((ApiToken, "encrypted_token"), (ProviderKey, "encrypted_key"))


@dataclass
class RotationReport:
    rotated: int = 0
    already_current: int = 0
    batches: int = 0
    unreadable: list[str] = field(default_factory=list)


def _rows_after(session: Session, model, last_id: int, batch_size: int):
    return session.exec(select(model).where(model.id > last_id).order_by(model.id).limit(batch_size)).all()


def rotate_encryption_keys(
    session_factory: Callable[[], Iterator[Session]],
    manager: SecureKeyManager,
    *,
    batch_size: int = 200,
    on_batch: Callable[[RotationReport], None] | None = None,
) -> RotationReport:
    """Re-encrypt every stored secret with the newest key, one committed batch at a time.

    Safe to interrupt and to re-run: a row is either still on an old key (which still opens
    it) or already on the newest one, which the next run skips.
    """
    report = RotationReport()
    for model, column in ENCRYPTED_COLUMNS:
        last_id = 0
        while True:
            with session_factory() as session:
                rows = _rows_after(session, model, last_id, batch_size)
                if not rows:
                    break
                for row in rows:
                    last_id = row.id
                    token = getattr(row, column)
                    if manager.is_current(token):
                        report.already_current += 1
                        continue
                    try:
                        setattr(row, column, manager.rotate(token))
                    except SecretUnreadable:
                        report.unreadable.append(f"{model.__tablename__}#{row.id}")
                        continue
                    session.add(row)
                    report.rotated += 1
            report.batches += 1
            if on_batch:
                on_batch(report)
    return report


def key_usage(session: Session, manager: SecureKeyManager) -> dict[str, int]:
    """How many stored secrets each configured key opens (for the admin panel)."""
    counts: Counter[str] = Counter()
    for model, column in ENCRYPTED_COLUMNS:
        for token in session.exec(select(getattr(model, column))).all():
            counts[manager.key_label(token)] += 1
    return dict(counts)
