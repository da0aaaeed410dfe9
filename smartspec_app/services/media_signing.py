"""Signed, expiring URLs for local media: the local-storage twin of R2's presigned URLs.

A signed URL is `/media/{key}?expires={epoch}&signature={hmac}`; the media route serves it without
asking who is loading it, until it expires. Media that anyone may see (listed gallery items) has no
signature and is checked against the database instead (api/media.py).

Expiry is rounded up to a step of a quarter of the lifetime, so a URL handed out twice within the
same step is the same URL: the browser's cache, React (which would reload an <img> or restart a
<video> whose src changed on every progress update) and ETags of pages that embed it all keep
working. Every URL is therefore valid for at least `lifetime` and at most 1.25 × `lifetime` seconds.

The signing key is derived (HKDF-SHA256) from the newest encryption key, so every backend process
shares it without another secret to configure; signatures made with an older key in
ENCRYPTION_KEYS still verify, so a key rotation does not break URLs already handed out.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_PURPOSE = b"smartspec media url v1"


def derive_secret(encryption_key: str) -> bytes:
    """A 32-byte key for media signatures, independent of the key's use for encryption."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_PURPOSE).derive(encryption_key.encode())


@dataclass(frozen=True)
class MediaSigner:
    """Signs with the first secret, verifies with any (newest first)."""

    secrets: tuple[bytes, ...]
    lifetime: int = 3600

    def __post_init__(self) -> None:
        if not self.secrets:
            raise ValueError("MediaSigner needs at least one secret")
        if self.lifetime < 60:
            raise ValueError("signed media URLs must live at least 60 seconds")

    @property
    def step(self) -> int:
        return max(60, self.lifetime // 4)

    def expires_at(self, now: float | None = None) -> int:
        """The expiry a URL signed at `now` gets: at least `lifetime` away, rounded up to a step."""
        earliest = int(now if now is not None else time.time()) + self.lifetime
        return -(-earliest // self.step) * self.step

    @staticmethod
    def _signature(secret: bytes, key: str, expires: int) -> str:
        digest = hmac.new(secret, f"{key}\n{expires}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def query(self, key: str, now: float | None = None) -> str:
        """The query string that makes `/media/{key}` loadable until it expires."""
        expires = self.expires_at(now)
        return f"expires={expires}&signature={self._signature(self.secrets[0], key, expires)}"

    def verify(self, key: str, expires: str | None, signature: str | None, now: float | None = None) -> bool:
        """The signature is one of ours for this key and has not expired."""
        if not expires or not signature or not expires.isdigit() or len(expires) > 12:
            return False
        when = int(expires)
        if when < (now if now is not None else time.time()):
            return False
        return any(hmac.compare_digest(self._signature(secret, key, when), signature) for secret in self.secrets)

    def seconds_left(self, expires: str, now: float | None = None) -> int:
        return max(0, int(expires) - int(now if now is not None else time.time()))


def signer_from_settings(settings) -> MediaSigner:
    """The signer of this deployment: secrets from the configured (or generated) encryption keys."""
    from smartspec_app.services.keys import get_key_manager

    return _signer(tuple(get_key_manager().keys), settings.media_url_seconds)


@lru_cache(maxsize=8)
def _signer(keys: tuple[str, ...], lifetime: int) -> MediaSigner:
    return MediaSigner(tuple(derive_secret(key) for key in keys), lifetime)
