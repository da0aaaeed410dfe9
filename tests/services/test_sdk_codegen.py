"""The generated SDKs: rendering, the /api/generation/sdk route, and the generated clients talking to
the app's real API on a real port (errors mapped from real 401, 404, 422 and 429 answers)."""

from __future__ import annotations

import importlib.util
import itertools
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlmodel import Session

from smartspec_app.api import build_api
from smartspec_app.models import User
from smartspec_app.services import auth, keys, sdk_codegen
from smartspec_app.services.errors import AuthenticationError, Conflict, NotFound, ValidationError
from smartspec_app.settings import reload_settings
from tests.sdk_js import tools
from tests.support.gallery_data import make_user
from tests.support.servers import serve

BASE = "https://sdk.example.com"
TOKEN = "ssp_" + "A1b2" * 10
_modules = itertools.count()


def load_python_sdk(path: Path) -> ModuleType:
    """Import a generated smartspec_client.py under a unique name."""
    name = f"smartspec_client_{next(_modules)}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses resolve their annotations through sys.modules
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", list(sdk_codegen.LANGUAGES))
def test_every_language_renders_with_the_site_and_an_environment_placeholder(language: str) -> None:
    sdk = sdk_codegen.render_sdk(language, base_url=BASE + "/")
    assert sdk.language == language and sdk.filename == sdk_codegen.LANGUAGES[language].filename
    assert not sdk.includes_api_key
    assert f'DEFAULT_BASE_URL = "{BASE}"' in sdk.code  # the trailing slash is dropped
    assert "SMARTSPEC_API_KEY" in sdk.code
    assert "ssp_" not in sdk.code and "%%" not in sdk.code
    if language == "python":
        assert "EMBEDDED_API_KEY: str | None = None" in sdk.code
    else:
        assert "EMBEDDED_API_KEY = undefined;" in sdk.code or "EMBEDDED_API_KEY: string | undefined = undefined;" in sdk.code
        assert "outputUrl" in sdk.code and "class SmartSpecClient" in sdk.code


@pytest.mark.parametrize("language", list(sdk_codegen.LANGUAGES))
def test_a_chosen_token_is_embedded_once_with_a_warning(language: str) -> None:
    sdk = sdk_codegen.render_sdk(language, base_url=BASE, api_key=TOKEN)
    assert sdk.includes_api_key
    assert sdk.code.count(TOKEN) == 1
    assert f'"{TOKEN}"' in sdk.code
    assert "YOUR API TOKEN" in sdk.code


@pytest.mark.parametrize("alias", ["py", "PYTHON", "js", "node", "ts", "typescript", "react-hook"])
def test_language_aliases(alias: str) -> None:
    assert sdk_codegen.resolve_language(alias).key in sdk_codegen.LANGUAGES


def test_the_react_file_is_self_contained() -> None:
    code = sdk_codegen.render_sdk("react", base_url=BASE).code
    assert 'from "react"' in code and "export function useSmartSpec(" in code
    assert "export class SmartSpecClient" in code  # the client is inside, not imported
    assert [line for line in code.splitlines() if line.startswith("import ")] == [
        'import { useCallback, useEffect, useMemo, useRef, useState } from "react";'
    ]
    assert "server-side proxy" in code


def test_the_javascript_and_typescript_clients_export_the_same_names() -> None:
    def exported(code: str) -> set[str]:
        names = set()
        for line in code.splitlines():
            words = line.split()
            if len(words) >= 3 and words[0] == "export" and words[1] in {"class", "const", "function", "async"}:
                names.add(words[3] if words[1] == "async" else words[2])
        return {n.split("(")[0] for n in names}

    js = exported(sdk_codegen.render_sdk("javascript", base_url=BASE).code)
    ts = exported(sdk_codegen.render_sdk("typescript", base_url=BASE).code)
    assert js == ts
    assert {"SmartSpecClient", "SmartSpecError", "AuthenticationError", "ValidationError", "RateLimitError", "TaskFailedError"} <= js


@pytest.mark.parametrize("api_key", [None, TOKEN])
def test_the_python_client_compiles(api_key: str | None) -> None:
    code = sdk_codegen.render_sdk("python", base_url=BASE, api_key=api_key).code
    compile(code, "smartspec_client.py", "exec")


def test_bad_input_is_refused() -> None:
    with pytest.raises(NotFound, match="choose one of: python, javascript, typescript, react"):
        sdk_codegen.render_sdk("cobol", base_url=BASE)
    with pytest.raises(ValidationError):
        sdk_codegen.render_sdk("python", base_url="javascript:alert(1)")
    with pytest.raises(ValidationError):
        sdk_codegen.render_sdk("python", base_url=BASE, api_key='x"; import os; "')


def test_python_client_reads_the_key_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    placeholder = load_python_sdk(tools.write_sdk(tmp_path / "a", "python", BASE))
    monkeypatch.setenv("SMARTSPEC_API_KEY", "ssp_from-the-environment")
    assert placeholder.SmartSpecClient().api_key == "ssp_from-the-environment"
    assert placeholder.SmartSpecClient(api_key="ssp_given").api_key == "ssp_given"
    assert placeholder.SmartSpecClient().base_url == BASE
    monkeypatch.delenv("SMARTSPEC_API_KEY")
    assert placeholder.SmartSpecClient().api_key is None
    embedded = load_python_sdk(tools.write_sdk(tmp_path / "b", "python", BASE, TOKEN))
    assert embedded.SmartSpecClient().api_key == TOKEN


# ---------------------------------------------------------------------------------------------
# sdk_for_user: only the caller's own, live tokens
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def manager() -> keys.SecureKeyManager:
    return keys.SecureKeyManager([Fernet.generate_key().decode()])


def test_sdk_for_user_embeds_only_the_callers_own_live_token(session: Session, manager: keys.SecureKeyManager) -> None:
    owner, stranger = make_user(session), make_user(session)
    token, plain = keys.create_api_token(session, manager, owner, "laptop")
    session.commit()

    sdk = sdk_codegen.sdk_for_user(session, manager, owner, "ts", base_url=BASE, token_id=token.id)
    assert sdk.includes_api_key and plain in sdk.code
    assert plain not in sdk_codegen.sdk_for_user(session, manager, owner, "ts", base_url=BASE).code
    with pytest.raises(NotFound):
        sdk_codegen.sdk_for_user(session, manager, stranger, "python", base_url=BASE, token_id=token.id)
    with pytest.raises(AuthenticationError):
        sdk_codegen.sdk_for_user(session, manager, None, "python", base_url=BASE, token_id=token.id)
    keys.revoke_api_token(session, owner, token.id)
    session.commit()
    with pytest.raises(Conflict, match="revoked"):
        sdk_codegen.sdk_for_user(session, manager, owner, "python", base_url=BASE, token_id=token.id)


# ---------------------------------------------------------------------------------------------
# The route and the generated clients against the app's API on a real port
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def site(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("RATE_LIMIT_USER", "12/minute")
    monkeypatch.setenv("RATE_LIMIT_ANONYMOUS", "1000/minute")
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    reload_settings()
    with serve(build_api()) as url:
        yield url


def new_token(session: Session, user: User, name: str = "sdk") -> tuple[int, str]:
    token, plain = keys.create_api_token(session, keys.get_key_manager(), user, name)
    session.commit()
    return token.id, plain


def test_route_serves_placeholder_code_to_anyone(site: str) -> None:
    answer = httpx.get(f"{site}/api/generation/sdk/js")
    assert answer.status_code == 200
    body = answer.json()
    assert body["language"] == "javascript" and body["filename"] == "smartspec-client.js"
    assert f'DEFAULT_BASE_URL = "{site}"' in body["code"] and "ssp_" not in body["code"]

    download = httpx.get(f"{site}/api/generation/sdk/python", params={"download": "true"})
    assert download.status_code == 200
    assert download.headers["content-disposition"] == 'attachment; filename="smartspec_client.py"'
    assert download.headers["content-type"].startswith("text/x-python")
    compile(download.text, "smartspec_client.py", "exec")


def test_route_embeds_the_callers_own_token_only(site: str, session: Session) -> None:
    owner, stranger = make_user(session), make_user(session)
    token_id, plain = new_token(session, owner)
    _, stranger_plain = new_token(session, stranger)
    url = f"{site}/api/generation/sdk/react"
    mine = {"Authorization": f"Bearer {plain}"}

    answer = httpx.get(url, params={"include_api_key": "true", "token_id": token_id}, headers=mine)
    assert answer.status_code == 200 and plain in answer.json()["code"]
    assert answer.headers["cache-control"] == "no-store"

    def error(params: dict, headers: dict | None = None) -> tuple[int, str]:
        response = httpx.get(url, params=params, headers=headers or {})
        return response.status_code, response.json()["error"]["code"]

    assert error({"include_api_key": "true", "token_id": token_id}) == (401, "unauthenticated")
    assert error({"include_api_key": "true", "token_id": token_id}, {"Authorization": "Bearer ssp_wrong"}) == (401, "unauthenticated")
    assert error({"include_api_key": "true", "token_id": token_id}, {"Authorization": f"Bearer {stranger_plain}"}) == (404, "not_found")
    plain_sdk = httpx.get(url, params={"token_id": token_id}, headers=mine).json()  # token_id alone is not read
    assert not plain_sdk["includes_api_key"] and plain not in plain_sdk["code"]
    assert error({"include_api_key": "true", "token_id": "abc"}, mine)[0] == 422
    keys.revoke_api_token(session, owner, token_id)
    session.commit()
    _, other_plain = new_token(session, owner, "second")
    assert error({"include_api_key": "true", "token_id": token_id}, {"Authorization": f"Bearer {other_plain}"}) == (409, "conflict")
    loner = make_user(session)  # signed in with a browser session: it must name the token to embed
    session_token = auth.login(session, loner.email, "a long password").token
    session.commit()
    assert error({"include_api_key": "true"}, {"Authorization": f"Bearer {session_token}"}) == (422, "validation_error")
    unknown = httpx.get(f"{site}/api/generation/sdk/cobol")
    assert unknown.status_code == 422 and unknown.json()["error"]["details"]["field"] == "language"
    assert "'python'" in unknown.json()["error"]["message"]


def test_include_api_key_embeds_the_api_token_the_caller_authenticates_with(site: str, session: Session) -> None:
    """The spec's `GET /api/generation/sdk/{language}?include_api_key=true` with `Authorization: Bearer <token>`."""
    owner = make_user(session)
    _first_id, first = new_token(session, owner, "first")
    second_id, second = new_token(session, owner, "second")
    for language in ("python", "javascript", "react", "typescript"):
        answer = httpx.get(f"{site}/api/generation/sdk/{language}?include_api_key=true", headers={"Authorization": f"Bearer {first}"})
        assert answer.status_code == 200, answer.text
        assert first in answer.json()["code"] and second not in answer.json()["code"]
        assert answer.json()["includes_api_key"] is True and answer.headers["cache-control"] == "no-store"
    # token_id still chooses another of one's own tokens
    chosen = httpx.get(
        f"{site}/api/generation/sdk/python",
        params={"include_api_key": "true", "token_id": second_id},
        headers={"Authorization": f"Bearer {first}"},
    )
    assert chosen.status_code == 200 and second in chosen.json()["code"] and first not in chosen.json()["code"]


def test_include_api_key_with_a_browser_session_needs_a_token_id(site: str, session: Session) -> None:
    """The issue's contract: a browser session (not an API token) without token_id is a clear 422."""
    owner = make_user(session)
    token_id, plain = new_token(session, owner)
    login = auth.login(session, owner.email, "a long password")
    session.commit()
    browser = {"Authorization": f"Bearer {login.token}"}
    refused = httpx.get(f"{site}/api/generation/sdk/python", params={"include_api_key": "true"}, headers=browser)
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["details"]["field"] == "token_id" and "token_id" in error["message"] and login.token not in refused.text
    chosen = httpx.get(f"{site}/api/generation/sdk/python", params={"include_api_key": "true", "token_id": token_id}, headers=browser)
    assert chosen.status_code == 200 and plain in chosen.json()["code"] and login.token not in chosen.json()["code"]


def test_generated_python_client_maps_real_error_answers(
    site: str, session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SMARTSPEC_API_KEY", raising=False)
    user = make_user(session)
    _, plain = new_token(session, user)
    sdk = load_python_sdk(tools.write_sdk(tmp_path, "python", site))

    with sdk.SmartSpecClient() as anonymous:
        assert anonymous.api_key is None
        assert {m["id"] for m in anonymous.list_models()} >= {"nano-banana-pro"}  # a public route
        with pytest.raises(sdk.AuthenticationError):
            anonymous.get_task("no-such-task")
    with sdk.SmartSpecClient(api_key="ssp_not-a-real-token") as wrong, pytest.raises(sdk.AuthenticationError) as unauthenticated:
        wrong.list_models()
    assert unauthenticated.value.status_code == 401 and unauthenticated.value.code == "unauthenticated"

    client = sdk.SmartSpecClient(api_key=plain)
    with pytest.raises(sdk.ValidationError) as invalid:
        client.generate_image("a fox", model_id="no/such-model")
    assert invalid.value.status_code == 422 and invalid.value.details.get("field") == "model_id"
    with pytest.raises(sdk.ValidationError):
        client.generate_image("")
    with pytest.raises(sdk.NotFoundError):
        client.get_task("no-such-task")

    started = client.generate_image("A lighthouse at dawn", aspect_ratio="1:1", wait=False)  # no worker here: it stays pending
    assert started.status == "pending" and started.task_type == "image" and started.model_id == "nano-banana-pro"
    assert started["status"] == "pending" and started["id"] == started.id and "output_url" in started
    with pytest.raises(KeyError):
        started["no_such_field"]
    with pytest.raises(sdk.TaskTimeoutError) as slow:
        client.wait_for_task(started, interval=0.2, timeout=0.5)
    assert isinstance(slow.value, TimeoutError) and slow.value.task.id == started.id
    with pytest.raises(sdk.TaskTimeoutError):  # generate_* wait by default, with wait_for_task's timeout
        client.generate_image("A lighthouse at dusk", model="kie-ai/nano-banana-pro", interval=0.2, timeout=0.5)
    with pytest.raises(ValueError, match="different models"):
        client.generate_image("a fox", model="nano-banana-pro", model_id="google/imagen4")

    with pytest.raises(sdk.RateLimitError) as limited:
        for _ in range(30):
            client.get_task(started.id)
    assert limited.value.status_code == 429 and limited.value.retry_after is not None and limited.value.retry_after > 0
    assert isinstance(limited.value, sdk.SmartSpecError)
    client.close()


# ---------------------------------------------------------------------------------------------
# JavaScript, TypeScript and React: type-checked with tsc, run with node
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("api_key", [None, TOKEN])
def test_typescript_javascript_and_react_outputs_type_check(tmp_path: Path, api_key: str | None) -> None:
    tools.require_js_tools()
    files = [tools.write_sdk(tmp_path, language, BASE, api_key) for language in ("typescript", "react", "javascript")]
    done = tools.typecheck(*files, check_js=True)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("language", ["javascript", "typescript"])
def test_generated_js_client_maps_real_error_answers(site: str, session: Session, tmp_path: Path, language: str) -> None:
    tools.require_js_tools()
    _, plain = new_token(session, make_user(session))
    module = tools.write_sdk(tmp_path, language, site)
    out = tools.run_script("client_check.mjs", {"module": str(module), "mode": "errors", "baseUrl": site, "apiKey": plain, "burst": 30})

    assert "nano-banana-pro" in out["models"]["ok"]
    assert out["unauthenticated"]["error"]["classes"] == ["AuthenticationError", "SmartSpecError"]
    assert out["unauthenticated"]["error"]["status"] == 401
    for case in ("invalid", "unknownModel"):
        assert out[case]["error"]["name"] == "ValidationError" and out[case]["error"]["status"] == 422
    assert out["notFound"]["error"]["name"] == "NotFoundError" and out["notFound"]["error"]["status"] == 404
    limited = out["rateLimited"]["error"]
    assert limited["classes"] == ["RateLimitError", "SmartSpecError"] and limited["status"] == 429 and limited["retryAfter"] > 0


def test_react_hook_reports_an_error_and_stops_loading(site: str, tmp_path: Path) -> None:
    tools.require_js_tools()
    module = tools.write_sdk(tmp_path, "react", site)
    out = tools.run_script("hook_check.mjs", {"module": str(module), "baseUrl": site, "apiKey": "ssp_not-a-real-token", "prompt": "a fox"})
    assert out["returned"] is None
    assert out["final"] == {
        "loading": False,
        "error": {"name": "AuthenticationError", "status": 401, "text": "Invalid API token"},  # `error` is text for JSX
        "result": None,
    }
    assert out["renders"][0] == {"loading": False, "error": None, "errorText": None, "status": None, "progress": 0}
    assert any(r["loading"] for r in out["renders"])  # it showed the request in flight
