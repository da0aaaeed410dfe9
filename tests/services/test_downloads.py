"""Tests of result downloads (services/downloads.py): the SSRF policy and download_result
against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from PIL import Image

from smartspec_app.services.downloads import UrlPolicy, download_result, extension_for
from smartspec_app.services.errors import ProviderError
from smartspec_app.services.storage import LocalStorage, generation_key
from tests.support.servers import serve_handler

MAX_BYTES = 64 * 1024


def _png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 30, 90)).save(buffer, format="PNG")
    return buffer.getvalue()


PNG = _png_bytes()
BIG = bytes(range(256)) * (MAX_BYTES // 256 * 3)  # three times the cap


@dataclass
class Route:
    status: int = 200
    content_type: str | None = "application/octet-stream"
    body: bytes = b""
    send_length: bool = True
    headers: dict[str, str] = field(default_factory=dict)


ROUTES: dict[str, Route] = {
    "/result.png": Route(content_type="image/png", body=PNG),
    "/result-charset": Route(content_type="image/png; charset=binary", body=PNG),
    "/generic/file.webp": Route(content_type="application/octet-stream", body=b"RIFF....WEBPVP8 " + b"\0" * 100),
    "/generic/noext": Route(content_type="application/octet-stream", body=b"some bytes"),
    "/clip.mp4": Route(content_type="video/mp4", body=b"\0\0\0\x18ftypmp42" + b"\1" * 500),
    "/speech.mp3": Route(content_type="audio/mpeg", body=b"ID3" + b"\2" * 700),
    "/page.html": Route(content_type="text/html; charset=utf-8", body=b"<html><body>Not found, but 200</body></html>"),
    "/json": Route(content_type="application/json", body=b'{"error": "nope"}'),
    "/big-declared.png": Route(content_type="image/png", body=BIG, send_length=True),
    "/big-streamed.png": Route(content_type="image/png", body=BIG, send_length=False),
    "/exact.png": Route(content_type="image/png", body=b"\x89PNG" + b"\0" * (MAX_BYTES - 4), send_length=False),
    "/missing.png": Route(status=404, content_type="text/plain", body=b"no such file"),
    "/expired.png": Route(status=410, content_type="text/plain", body=b"expired"),
    "/forbidden.png": Route(status=403, content_type="text/plain", body=b"signature expired"),
    "/error.png": Route(status=500, content_type="text/plain", body=b"boom"),
    "/unavailable.png": Route(status=503, content_type="text/plain", body=b"later"),
    "/redirect.png": Route(status=302, content_type="text/plain", headers={"Location": "http://169.254.169.254/latest/meta-data/"}),
    "/empty.png": Route(content_type="image/png", body=b""),
    "/empty-streamed.png": Route(content_type="image/png", body=b"", send_length=False),
    "/v1.0/ab": Route(content_type="application/octet-stream", body=b"versioned path"),
}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # without Content-Length the body ends when the connection closes
    hits: list[str] = []

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        type(self).hits.append(path)
        route = ROUTES.get(path, Route(status=404, content_type="text/plain", body=b"unknown route"))
        try:
            self.send_response(route.status)
            if route.content_type is not None:
                self.send_header("Content-Type", route.content_type)
            if route.send_length:
                self.send_header("Content-Length", str(len(route.body)))
            for name, value in route.headers.items():
                self.send_header(name, value)
            self.end_headers()
            for start in range(0, len(route.body), 8192):
                self.wfile.write(route.body[start : start + 8192])
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading on purpose (size cap)

    def log_message(self, format: str, *args) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with serve_handler(_Handler) as base_url:
        yield base_url


@pytest.fixture
def hits() -> Iterator[list[str]]:
    _Handler.hits.clear()
    yield _Handler.hits


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _download(server: str, storage: LocalStorage, path: str, *, task_type: str = "image", max_bytes: int = MAX_BYTES, **kwargs):
    seen_exts: list[str] = []

    def key_for_ext(ext: str) -> str:
        seen_exts.append(ext)
        return generation_key(task_type, 1, "task42", ext)

    result = download_result(
        server + path,
        task_type=task_type,
        storage=storage,
        key_for_ext=key_for_ext,
        policy=kwargs.pop("policy", UrlPolicy(trusted_prefix=server)),
        max_bytes=max_bytes,
        default_ext=kwargs.pop("default_ext", "bin"),
        timeout=10.0,
        **kwargs,
    )
    return result, seen_exts


# ---------------------------------------------------------------- UrlPolicy


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/result.png",
        "http://8.8.8.8/result.png",
    ],
)
def test_policy_refuses_http_when_https_is_required(url: str) -> None:
    with pytest.raises(ProviderError, match="https"):
        UrlPolicy(require_https=True).check(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/result.png",
        "https://127.0.0.1:8000/result.png",
        "https://127.1.2.3/x",
        "https://localhost/x",
        "https://0.0.0.0/x",
        "https://10.0.0.1/result.png",
        "https://172.16.5.4/x",
        "https://192.168.1.1/x",
        "https://100.64.0.1/x",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/result.png",
        "https://[fd00::1]/x",
        "https://[fe80::1]/x",
        "https://[::ffff:127.0.0.1]/x",
        "https://2130706433/x",
    ],
)
def test_policy_refuses_non_public_addresses(url: str) -> None:
    with pytest.raises(ProviderError) as info:
        UrlPolicy().check(url)
    assert "non-public" in str(info.value)
    assert info.value.retryable is False


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://files.example.com/result.png",
        "gopher://example.com/",
        "javascript:alert(1)",
        "data:image/png;base64,AAAA",
    ],
)
def test_policy_refuses_other_schemes(url: str) -> None:
    for policy in (UrlPolicy(), UrlPolicy(require_https=False)):
        with pytest.raises(ProviderError, match="Refused"):
            policy.check(url)


def test_policy_refuses_a_url_without_host() -> None:
    with pytest.raises(ProviderError, match="Refused"):
        UrlPolicy().check("https:///result.png")


def test_policy_refuses_loopback_http_even_when_http_is_allowed() -> None:
    with pytest.raises(ProviderError, match="non-public"):
        UrlPolicy(require_https=False).check("http://127.0.0.1:9/x")


@pytest.mark.parametrize("url", ["https://8.8.8.8/result.png", "https://[2001:4860:4860::8888]/a.mp4"])
def test_policy_allows_public_https_addresses(url: str) -> None:
    UrlPolicy().check(url)  # no exception


@pytest.mark.parametrize("prefix", ["http://127.0.0.1:8000/sandbox", "http://127.0.0.1:8000/sandbox/"])
def test_policy_allows_urls_under_the_trusted_prefix(prefix: str) -> None:
    policy = UrlPolicy(trusted_prefix=prefix)
    policy.check("http://127.0.0.1:8000/sandbox/files/abc.png")
    policy.check("http://127.0.0.1:8000/sandbox/x")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/other/abc.png",  # same host, outside the prefix
        "http://127.0.0.1:8000/sandboxed/abc.png",  # shares the prefix's text but not its path
        "http://127.0.0.1:8000/sandbox",  # the prefix itself, no file under it
        "http://127.0.0.1:80001/sandbox/abc.png",
        "http://127.0.0.1:8000.evil.example/sandbox/abc.png",
        "http://10.0.0.1:8000/sandbox/abc.png",
    ],
)
def test_policy_trusted_prefix_does_not_leak(url: str) -> None:
    with pytest.raises(ProviderError):
        UrlPolicy(trusted_prefix="http://127.0.0.1:8000/sandbox").check(url)


# ---------------------------------------------------------------- download_result: success


def test_downloads_a_png(server: str, storage: LocalStorage, hits: list[str]) -> None:
    (key, size), exts = _download(server, storage, "/result.png")
    assert key == "generations/images/1/task42.png"
    assert exts == ["png"]
    assert size == len(PNG)
    assert storage.read_bytes(key) == PNG
    assert hits == ["/result.png"]
    with Image.open(storage.path(key)) as image:
        assert image.size == (16, 16)
    assert _files(storage.root) == [storage.path(key)]


def test_content_type_parameters_are_ignored(server: str, storage: LocalStorage) -> None:
    (key, _), _ = _download(server, storage, "/result-charset")
    assert key.endswith(".png")
    assert storage.read_bytes(key) == PNG


def test_generic_type_takes_the_extension_from_the_url(server: str, storage: LocalStorage) -> None:
    (key, _), exts = _download(server, storage, "/generic/file.webp")
    assert exts == ["webp"]
    assert key == "generations/images/1/task42.webp"
    assert storage.read_bytes(key) == ROUTES["/generic/file.webp"].body


def test_generic_type_without_url_extension_uses_the_default(server: str, storage: LocalStorage) -> None:
    (key, _), exts = _download(server, storage, "/generic/noext", default_ext="jpg")
    assert exts == ["jpg"]
    assert storage.read_bytes(key) == b"some bytes"


@pytest.mark.parametrize(("path", "task_type", "ext"), [("/clip.mp4", "video", "mp4"), ("/speech.mp3", "speech", "mp3")])
def test_downloads_video_and_audio(server: str, storage: LocalStorage, path: str, task_type: str, ext: str) -> None:
    (key, size), _ = _download(server, storage, path, task_type=task_type)
    assert key == generation_key(task_type, 1, "task42", ext)
    assert storage.read_bytes(key) == ROUTES[path].body
    assert size == len(ROUTES[path].body)


def test_a_body_of_exactly_max_bytes_is_accepted(server: str, storage: LocalStorage) -> None:
    (key, size), _ = _download(server, storage, "/exact.png")
    assert size == MAX_BYTES
    assert storage.read_bytes(key) == ROUTES["/exact.png"].body


# ---------------------------------------------------------------- download_result: failures


def _fails(server: str, storage: LocalStorage, path: str, **kwargs) -> ProviderError:
    with pytest.raises(ProviderError) as info:
        _download(server, storage, path, **kwargs)
    assert _files(storage.root) == [], "a failed download left files in storage"
    return info.value


@pytest.mark.parametrize("path", ["/page.html", "/json"])
def test_wrong_content_type_is_refused(server: str, storage: LocalStorage, path: str) -> None:
    error = _fails(server, storage, path)
    assert ROUTES[path].content_type.split(";")[0] in str(error)
    assert "image" in str(error)
    assert error.retryable is False


def test_media_of_the_wrong_kind_is_refused(server: str, storage: LocalStorage) -> None:
    error = _fails(server, storage, "/result.png", task_type="video")
    assert "image/png" in str(error)
    assert "video" in str(error)


def test_declared_size_over_the_cap_is_refused(server: str, storage: LocalStorage) -> None:
    error = _fails(server, storage, "/big-declared.png")
    assert str(len(BIG)) in str(error)
    assert str(MAX_BYTES) in str(error)


def test_streamed_size_over_the_cap_is_refused(server: str, storage: LocalStorage) -> None:
    error = _fails(server, storage, "/big-streamed.png")
    assert "limit" in str(error)
    assert str(MAX_BYTES) in str(error)
    assert not any(p.name.startswith(".part-") for p in storage.root.rglob("*"))


def test_one_byte_under_the_body_is_too_much(server: str, storage: LocalStorage) -> None:
    error = _fails(server, storage, "/exact.png", max_bytes=MAX_BYTES - 1)
    assert "limit" in str(error)


@pytest.mark.parametrize(("path", "status"), [("/missing.png", 404), ("/expired.png", 410), ("/forbidden.png", 403), ("/nowhere.png", 404)])
def test_gone_results_say_expired(server: str, storage: LocalStorage, path: str, status: int) -> None:
    error = _fails(server, storage, path)
    assert "expired" in str(error)
    assert str(status) in str(error)
    assert error.retryable is False


@pytest.mark.parametrize(("path", "status"), [("/error.png", 500), ("/unavailable.png", 503)])
def test_server_errors_are_retryable(server: str, storage: LocalStorage, path: str, status: int) -> None:
    error = _fails(server, storage, path)
    assert str(status) in str(error)
    assert error.retryable is True


def test_redirects_are_not_followed(server: str, storage: LocalStorage, hits: list[str]) -> None:
    error = _fails(server, storage, "/redirect.png")
    assert "302" in str(error)
    assert hits == ["/redirect.png"]


@pytest.mark.parametrize("path", ["/empty.png", "/empty-streamed.png"])
def test_an_empty_body_is_refused(server: str, storage: LocalStorage, path: str) -> None:
    error = _fails(server, storage, path)
    assert "empty" in str(error)
    assert not storage.exists(generation_key("image", 1, "task42", "png"))


def test_a_refused_url_is_never_requested(server: str, storage: LocalStorage, hits: list[str]) -> None:
    """Without the trusted prefix, the loopback test server is off limits: no request is made."""
    error = _fails(server, storage, "/result.png", policy=UrlPolicy(require_https=False))
    assert "non-public" in str(error)
    assert hits == []


def test_a_failure_keeps_an_earlier_good_file(server: str, storage: LocalStorage) -> None:
    """A second, failing download under the same key must not damage what is stored."""
    (key, _), _ = _download(server, storage, "/result.png")
    with pytest.raises(ProviderError):
        _download(server, storage, "/big-streamed.png")
    assert storage.read_bytes(key) == PNG


# ---------------------------------------------------------------- extension_for


@pytest.mark.parametrize(
    ("content_type", "url", "expected"),
    [
        ("image/png", "https://x.example/a.jpg", "png"),
        ("image/jpeg", "https://x.example/a", "jpg"),
        ("video/mp4", "https://x.example/a", "mp4"),
        ("audio/mpeg", "https://x.example/a", "mp3"),
        ("application/octet-stream", "https://x.example/a.WEBP?sig=1", "webp"),
        ("application/octet-stream", "https://x.example/a.toolongext", "bin"),
        ("application/octet-stream", "https://x.example/dir.d/file", "bin"),
        ("", "https://x.example/", "bin"),
    ],
)
def test_extension_for(content_type: str, url: str, expected: str) -> None:
    assert extension_for(content_type, url, "bin") == expected


@pytest.mark.parametrize("url", ["https://x.example/a.b/c", "https://x.example/v1.0/ab", "https://x.example/a.p-g"])
def test_extension_from_the_url_is_only_letters_and_digits(url: str) -> None:
    ext = extension_for("application/octet-stream", url, "bin")
    assert ext.isalnum(), ext


def test_a_dotted_folder_in_the_url_does_not_change_the_key_layout(server: str, storage: LocalStorage) -> None:
    (key, _), _ = _download(server, storage, "/v1.0/ab")
    assert key.startswith("generations/images/1/task42.")
    assert "/" not in key.removeprefix("generations/images/1/"), key


def test_an_empty_body_keeps_an_earlier_good_file(server: str, storage: LocalStorage) -> None:
    (key, _), _ = _download(server, storage, "/result.png")
    with pytest.raises(ProviderError, match="empty"):
        _download(server, storage, "/empty.png")
    assert storage.exists(key)
    assert storage.read_bytes(key) == PNG
