"""Signed local media URLs: what verifies, what does not, and how long a URL stays the same."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from smartspec_app.services.media_signing import MediaSigner, derive_secret, signer_from_settings
from smartspec_app.services.storage import LocalStorage, refresh_url
from smartspec_app.settings import get_settings

KEY = "generations/images/7/abc.png"
NOW = 1_800_000_000


def _parts(query: str) -> tuple[str, str]:
    values = parse_qs(query)
    return values["expires"][0], values["signature"][0]


def test_a_signed_key_verifies_until_it_expires() -> None:
    signer = MediaSigner((derive_secret("k1"),), lifetime=3600)
    expires, signature = _parts(signer.query(KEY, now=NOW))
    assert NOW + 3600 <= int(expires) <= NOW + 3600 * 1.25
    assert signer.verify(KEY, expires, signature, now=NOW)
    assert signer.verify(KEY, expires, signature, now=int(expires))
    assert not signer.verify(KEY, expires, signature, now=int(expires) + 1)


@pytest.mark.parametrize(
    "change",
    [
        lambda key, e, s: ("generations/images/7/other.png", e, s),  # the signature is for one key only
        lambda key, e, s: (key, str(int(e) + 900), s),  # a later expiry is not signed
        lambda key, e, s: (key, e, s[:-2] + ("AA" if not s.endswith("AA") else "BB")),
        lambda key, e, s: (key, e, ""),
        lambda key, e, s: (key, "", s),
        lambda key, e, s: (key, "-5", s),
        lambda key, e, s: (key, "9" * 40, s),
    ],
)
def test_anything_else_does_not_verify(change) -> None:
    signer = MediaSigner((derive_secret("k1"),), lifetime=3600)
    expires, signature = _parts(signer.query(KEY, now=NOW))
    assert not signer.verify(*change(KEY, expires, signature), now=NOW)


def test_another_deployment_key_does_not_verify_but_an_older_key_of_ours_does() -> None:
    old = MediaSigner((derive_secret("old"),), lifetime=3600)
    stranger = MediaSigner((derive_secret("stranger"),), lifetime=3600)
    rotated = MediaSigner((derive_secret("new"), derive_secret("old")), lifetime=3600)
    expires, signature = _parts(old.query(KEY, now=NOW))
    assert rotated.verify(KEY, expires, signature, now=NOW)  # URLs handed out before a rotation keep working
    assert not stranger.verify(KEY, expires, signature, now=NOW)
    new_expires, new_signature = _parts(rotated.query(KEY, now=NOW))
    assert not old.verify(KEY, new_expires, new_signature, now=NOW)  # signs with the newest key


def test_the_url_stays_the_same_within_a_step_so_pages_and_caches_keep_it() -> None:
    signer = MediaSigner((derive_secret("k1"),), lifetime=3600)
    step = signer.step
    start = (NOW // step) * step + 1
    assert signer.query(KEY, now=start) == signer.query(KEY, now=start + step - 2)
    assert signer.query(KEY, now=start) != signer.query(KEY, now=start + step)


def test_lifetimes_below_a_minute_are_refused() -> None:
    with pytest.raises(ValueError):
        MediaSigner((b"x" * 32,), lifetime=10)
    with pytest.raises(ValueError):
        MediaSigner((), lifetime=3600)


def test_local_storage_signs_urls_and_refresh_url_picks_public_or_signed(tmp_path: Path) -> None:
    signer = MediaSigner((derive_secret("k1"),), lifetime=600)
    media = LocalStorage(tmp_path, signer=signer)
    stored = media.url(KEY)
    assert stored == f"/media/{KEY}"
    assert refresh_url(media, stored) == stored  # public media: the stable URL as it is
    signed = refresh_url(media, stored, signed=True)
    assert signed and signed.startswith(f"/media/{KEY}?")
    assert signer.verify(KEY, *_parts(urlsplit(signed).query))
    assert media.key_from_url(signed) == KEY
    assert refresh_url(media, "https://elsewhere.example/x.png", signed=True) == "https://elsewhere.example/x.png"
    with pytest.raises(RuntimeError):
        LocalStorage(tmp_path).signed_url(KEY)  # no signer: no private URLs rather than public ones


def test_the_deployment_signer_comes_from_the_encryption_keys(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from smartspec_app.settings import reload_settings

    monkeypatch.setenv("ENCRYPTION_KEYS", "8kV2pM6eVfV2Yl8Q2hWJx1b0sXk3nQ9vT7yR4cZ1aE0=,Zm9vYmFyYmF6cXV4cXV1eGZvb2JhcmJhenF1eHF1dXg=")
    monkeypatch.setenv("MEDIA_URL_SECONDS", "900")
    reload_settings()
    signer = signer_from_settings(get_settings())
    assert signer.lifetime == 900
    assert signer.secrets == (
        derive_secret("8kV2pM6eVfV2Yl8Q2hWJx1b0sXk3nQ9vT7yR4cZ1aE0="),
        derive_secret("Zm9vYmFyYmF6cXV4cXV1eGZvb2JhcmJhenF1eHF1dXg="),
    )
    assert derive_secret("8kV2pM6eVfV2Yl8Q2hWJx1b0sXk3nQ9vT7yR4cZ1aE0=") != b"8kV2pM6eVfV2Yl8Q2hWJx1b0sXk3nQ9vT7yR4cZ1aE0="
