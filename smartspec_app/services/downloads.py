"""Copy a provider's result into our storage at once (provider URLs expire).

Guards: a size cap, a content-type check, and SSRF protection: the real provider's URLs must
be https to a public address; only the configured sandbox may be on loopback.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import urlsplit

import httpx

from smartspec_app.services.errors import ProviderError
from smartspec_app.services.storage import Storage
from smartspec_app.services.tls import client_tls

EXPECTED_TYPES = {"image": ("image/",), "video": ("video/",), "speech": ("audio/",)}
_GENERIC = ("application/octet-stream", "binary/octet-stream", "")
_EXT_BY_TYPE = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/webp": "webp",
    "image/gif": "gif",
    "video/mp4": "mp4",
    "video/webm": "webm",
    "video/quicktime": "mov",
    "audio/mpeg": "mp3",
    "audio/mp3": "mp3",
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/ogg": "ogg",
}


@dataclass(frozen=True)
class UrlPolicy:
    trusted_prefix: str = ""  # URLs under this prefix (the sandbox) skip the address checks
    require_https: bool = True

    def check(self, url: str) -> None:
        if self.trusted_prefix and url.startswith(self.trusted_prefix.rstrip("/") + "/"):
            return
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http") or (self.require_https and parts.scheme != "https"):
            raise ProviderError(f"Refused result URL {url!r}: only https URLs are fetched")
        if not parts.hostname:
            raise ProviderError(f"Refused result URL {url!r}: no host")
        try:
            infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
        except OSError as exc:
            raise ProviderError(f"Could not resolve the result host {parts.hostname}: {exc}", retryable=True) from exc
        for info in infos:
            address = ipaddress.ip_address(info[4][0])
            if not address.is_global:
                raise ProviderError(f"Refused result URL {url!r}: it points to a non-public address ({address})")


def extension_for(content_type: str, url: str, default: str) -> str:
    ext = _EXT_BY_TYPE.get(content_type)
    if ext:
        return ext
    suffix = PurePosixPath(urlsplit(url).path).suffix.lstrip(".").lower()
    return suffix if suffix.isalnum() and 2 <= len(suffix) <= 4 else default


def download_result(
    url: str,
    *,
    task_type: str,
    storage: Storage,
    key_for_ext,  # Callable[[str], str]: the storage key once the extension is known
    policy: UrlPolicy,
    max_bytes: int,
    default_ext: str,
    timeout: float = 60.0,
    client: httpx.Client | None = None,
) -> tuple[str, int]:
    """Stream `url` into storage; returns (key, size). Nothing is kept when a check fails.
    `client`: a pooled client to reuse (services/step_io.py); without one, a client for this download."""
    policy.check(url)
    with contextlib.ExitStack() as stack:
        if client is None:
            client = stack.enter_context(httpx.Client(follow_redirects=False, verify=client_tls()))
        response = stack.enter_context(client.stream("GET", url, timeout=timeout, follow_redirects=False))
        return _store(response, url, task_type, storage, key_for_ext, max_bytes, default_ext)


def _store(
    response: httpx.Response, url: str, task_type: str, storage: Storage, key_for_ext, max_bytes: int, default_ext: str
) -> tuple[str, int]:
    """Check the response and stream its body into storage."""
    if response.status_code in (403, 404, 410):
        raise ProviderError(f"The result URL has expired or is gone (HTTP {response.status_code})")
    if response.status_code != 200:
        raise ProviderError(f"Downloading the result failed with HTTP {response.status_code}", retryable=response.status_code >= 500)
    content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in _GENERIC and not content_type.startswith(EXPECTED_TYPES[task_type]):
        raise ProviderError(f"The result is {content_type!r}, not the {task_type} that was asked for")
    declared = int(response.headers.get("content-length") or 0)
    if declared > max_bytes:
        raise ProviderError(f"The result is {declared} bytes, over the {max_bytes}-byte limit")
    key = key_for_ext(extension_for(content_type, url, default_ext))

    def capped() -> Iterator[bytes]:
        total = 0
        for chunk in response.iter_bytes(64 * 1024):
            total += len(chunk)
            if total > max_bytes:
                raise ProviderError(f"The result is over the {max_bytes}-byte limit")
            yield chunk
        if total == 0:  # raised inside the write, so nothing (not even an empty file) is kept
            raise ProviderError("The result file is empty")

    size = storage.save_stream(key, capped(), content_type or None)
    return key, size
