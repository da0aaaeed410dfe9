"""Who may use the kie.ai sandbox: this app's own provider client, and nobody else.

The sandbox renders images, video and speech and calls back a URL, so open to the world it would be
free compute and a blind SSRF. It therefore answers only requests carrying the sandbox secret (the
"API key" the app's KieProvider uses for it), downloads of its result files only with a signature
made from that secret, and it calls back only this app's own callback route.

The secret is SANDBOX_SECRET, or one generated on first start into DATA_DIR/.sandbox_secret (mode
0600), like the encryption key; every process of a deployment sharing DATA_DIR (or the variable)
shares it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from smartspec_app.services import secret_files

log = logging.getLogger(__name__)

SECRET_FILE_NAME = ".sandbox_secret"
CALLBACK_PATH = "/api/generation/callback/"
_cache: dict[tuple[str, str], str] = {}


def load_or_create_secret(data_dir: Path) -> str:
    """The secret in DATA_DIR/.sandbox_secret, made (0600) on first use; every caller gets the same one."""
    path = data_dir / SECRET_FILE_NAME
    secret, created = secret_files.read_or_create(path, lambda: secrets.token_urlsafe(32))
    if created:
        log.info("No SANDBOX_SECRET set: generated one in %s (mode 0600)", path)
    return secret


def sandbox_secret(configured: str, data_dir: Path) -> str:
    """SANDBOX_SECRET when set, else the generated one (cached per data directory)."""
    if configured.strip():
        return configured.strip()
    key = (configured, str(data_dir))
    if key not in _cache:
        _cache[key] = load_or_create_secret(data_dir)
    return _cache[key]


def is_own_authorization(authorization: str | None, secret: str) -> bool:
    """Whether an Authorization header carries the sandbox secret (constant-time)."""
    scheme, _, token = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), secret.encode())


def file_signature(name: str, secret: str) -> str:
    """The signature that makes a result file's URL downloadable."""
    return hmac.new(secret.encode(), f"sandbox-file:{name}".encode(), hashlib.sha256).hexdigest()[:32]


def is_valid_file_signature(name: str, signature: str | None, secret: str) -> bool:
    return bool(signature) and hmac.compare_digest(file_signature(name, secret), signature or "")


def is_own_callback_url(url: str, internal_url: str) -> bool:
    """Whether `url` is this app's own provider callback route (same scheme, host and port)."""
    try:
        target, own = urlsplit(url), urlsplit(internal_url)
    except ValueError:
        return False
    return (
        target.scheme == own.scheme
        and target.netloc == own.netloc
        and target.username is None
        and target.path.startswith(CALLBACK_PATH)
        and ".." not in target.path
        and not target.fragment
    )
