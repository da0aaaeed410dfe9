"""Client SDKs generated for this site: a Python client, a JavaScript and a TypeScript client, a React hook.

The code lives in real files under `smartspec_app/sdk_templates/`, filled in with `string.Template`
(delimiter `%%`, so the `$`/`${}` of Python and JavaScript stay untouched). What is filled in: the site's
base URL, the default model of each task type, and either the caller's own API token (only when they
choose one, see `sdk_for_user`) or nothing, in which case the code reads SMARTSPEC_API_KEY (or the
bundler's env) at run time. Plain Python: the REST route and the /sdk page both call it.
"""

from __future__ import annotations

import json
import re
import string
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from sqlmodel import Session

from smartspec_app.models import User
from smartspec_app.services import catalog, keys
from smartspec_app.services.errors import AuthenticationError, NotFound, ValidationError

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "sdk_templates"
API_KEY_ENV = "SMARTSPEC_API_KEY"
_TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9._~+/=-]{8,512}$")
_BASE_URL_PATTERN = re.compile(r"^https?://[^\s\"'`\\<>]+$")


class _SdkTemplate(string.Template):
    delimiter = "%%"


@dataclass(frozen=True)
class SdkLanguage:
    """One downloadable SDK flavour."""

    key: str
    label: str
    filename: str
    template: str
    highlight: str  # the code viewer's language name
    media_type: str
    comment: str  # line-comment marker of the language


LANGUAGES: dict[str, SdkLanguage] = {
    "python": SdkLanguage("python", "Python", "smartspec_client.py", "python_client.py.tmpl", "python", "text/x-python", "#"),
    "javascript": SdkLanguage("javascript", "JavaScript", "smartspec-client.js", "client.js.tmpl", "javascript", "text/javascript", "//"),
    "typescript": SdkLanguage(
        "typescript", "TypeScript", "smartspec-client.ts", "client.ts.tmpl", "typescript", "application/typescript", "//"
    ),
    "react": SdkLanguage("react", "React", "useSmartSpec.ts", "react_hook.ts.tmpl", "typescript", "application/typescript", "//"),
}
ALIASES = {"py": "python", "js": "javascript", "node": "javascript", "ts": "typescript", "react-hook": "react", "tsx": "react"}


class UnknownLanguage(NotFound):
    code = "unknown_language"


@dataclass(frozen=True)
class GeneratedSdk:
    language: str
    filename: str
    code: str
    media_type: str
    includes_api_key: bool

    def as_dict(self) -> dict[str, str | bool]:
        return {"language": self.language, "filename": self.filename, "code": self.code, "includes_api_key": self.includes_api_key}


def resolve_language(name: str) -> SdkLanguage:
    """The SDK flavour for a name or alias (python, javascript/js, typescript/ts, react)."""
    key = (name or "").strip().lower()
    key = ALIASES.get(key, key)
    if key not in LANGUAGES:
        raise UnknownLanguage(
            f"No SDK for {name!r}; choose one of: {', '.join(LANGUAGES)} (or js, ts, py)",
            field="language",
            details={"languages": list(LANGUAGES)},
        )
    return LANGUAGES[key]


@cache
def _template(filename: str) -> _SdkTemplate:
    return _SdkTemplate((TEMPLATE_DIR / filename).read_text(encoding="utf-8"))


def _check_base_url(base_url: str) -> str:
    base = (base_url or "").strip().rstrip("/")
    if not _BASE_URL_PATTERN.match(base):
        raise ValidationError(f"Not a usable base URL for an SDK: {base_url!r}", field="base_url")
    return base


def _check_api_key(api_key: str | None) -> str | None:
    if api_key is None:
        return None
    if not _TOKEN_PATTERN.match(api_key):
        raise ValidationError("That API key cannot be embedded in code", field="api_key")
    return api_key


def _literal(value: str | None, language: SdkLanguage) -> str:
    """A string literal of the target language (None: Python's None, JavaScript's undefined)."""
    if value is None:
        return "None" if language.key == "python" else "undefined"
    return json.dumps(value)  # a valid string literal in Python, JavaScript and TypeScript alike


def _key_notice(language: SdkLanguage, api_key: str | None) -> str:
    if api_key is not None:
        return (
            "This file contains YOUR API TOKEN: keep it secret, never commit it or ship it to browsers; "
            "revoke it on the Account page if it leaks."
        )
    if language.key == "python":
        return f"The API key is read from the {API_KEY_ENV} environment variable unless you pass api_key=..."
    return (
        f"The API key comes from {{ apiKey }}, else {API_KEY_ENV} (process.env), NEXT_PUBLIC_{API_KEY_ENV} "
        f"or VITE_{API_KEY_ENV} (import.meta.env)."
    )


def _default_models() -> dict[str, str]:
    return {kind: catalog.models_for(kind)[0].id for kind in catalog.TASK_TYPES}


def render_sdk(language: str, *, base_url: str, api_key: str | None = None) -> GeneratedSdk:
    """The SDK source for `language`, calling `base_url`, with `api_key` embedded or read from the environment."""
    spec = resolve_language(language)
    base = _check_base_url(base_url)
    key = _check_api_key(api_key)
    models = _default_models()
    values = {
        "base_url": base,
        "base_url_literal": _literal(base, spec),
        "api_key_literal": _literal(key, spec),
        "key_notice": _key_notice(spec, key),
        "image_model_literal": _literal(models["image"], spec),
        "video_model_literal": _literal(models["video"], spec),
        "speech_model_literal": _literal(models["speech"], spec),
    }
    if spec.key == "react":
        values["client"] = _client_body(render_sdk("typescript", base_url=base, api_key=key).code)
    code = _template(spec.template).substitute(values)
    return GeneratedSdk(spec.key, spec.filename, code, spec.media_type, key is not None)


def _client_body(typescript_client: str) -> str:
    """The TypeScript client without its leading comment block (the React file has its own)."""
    lines = typescript_client.splitlines()
    start = next(i for i, line in enumerate(lines) if line and not line.startswith("//"))
    return "\n".join(lines[start:]).rstrip() + "\n"


def sdk_for_user(
    session: Session,
    manager: keys.SecureKeyManager,
    user: User | None,
    language: str,
    *,
    base_url: str,
    token_id: int | None = None,
) -> GeneratedSdk:
    """The SDK for a caller; with `token_id`, their own non-revoked token is embedded.

    Anonymous callers get the placeholder version only. Someone else's token is NotFound; a revoked
    one is a ValidationError (both from `keys.reveal_api_token`).
    """
    resolve_language(language)  # an unknown language fails before any secret is read
    if token_id is None:
        return render_sdk(language, base_url=base_url)
    if user is None:
        raise AuthenticationError("Sign in (send your API token) to embed a token in the SDK")
    plain = keys.reveal_api_token(session, manager, user, token_id)
    return render_sdk(language, base_url=base_url, api_key=plain)
