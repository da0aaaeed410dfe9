"""The generated SDKs against the live app (`reflex run --env prod --backend-only`): each fetched from
/api/generation/sdk, then generate → wait → a completed task whose output downloads."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e import spec_examples
from tests.e2e.test_generation_flow import save_screenshot, sign_up
from tests.sdk_js import tools
from tests.support.live_app import LiveApp

pytestmark = pytest.mark.e2e
PROMPT = "A lighthouse on a cliff at dawn, watercolor"


@pytest.fixture(scope="module")
def api_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    """The app's backend alone (API, worker, sandbox, media); no browser needed."""
    app = LiveApp(
        tmp_path_factory.mktemp("sdk-live") / "data",
        backend_only=True,
        extra_env={
            "SANDBOX_SECONDS_IMAGE": "2",
            "RATE_LIMIT_USER": "1000/minute",
            "RATE_LIMIT_ANONYMOUS": "1000/minute",
            "PUBLIC_BASE_URL": "",
        },
    )
    with app.running():
        yield app


@pytest.fixture(scope="module")
def account(api_app: LiveApp) -> dict:
    """A user and an API token made in the live app's own database: {"token_id", "token"}."""
    out = api_app.run_python(
        "import json\n"
        "from smartspec_app.services import auth, keys\n"
        "from smartspec_app.services.db import session_scope\n"
        "with session_scope() as s:\n"
        "    user = auth.create_user(s, 'sdk-user@example.com', 'a long password')\n"
        "    token, plain = keys.create_api_token(s, keys.get_key_manager(), user, 'sdk tests')\n"
        "    print(json.dumps({'token_id': token.id, 'token': plain}))\n"
    )
    return json.loads(out.strip().splitlines()[-1])


def fetch_sdk(app: LiveApp, language: str, account: dict | None = None) -> dict:
    """The SDK as the route serves it; with `account`, that user's token embedded."""
    params, headers = {}, {}
    if account is not None:
        params = {"include_api_key": "true", "token_id": account["token_id"]}
        headers = {"Authorization": f"Bearer {account['token']}"}
    answer = httpx.get(f"{app.base_url}/api/generation/sdk/{language}", params=params, headers=headers, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def save(folder: Path, sdk: dict) -> Path:
    return tools.save_code(folder, sdk["filename"], sdk["code"])


def load_python_sdk(app: LiveApp, account: dict, folder: Path, name: str):
    """The Python SDK fetched from the route with the account's token embedded, imported."""
    sdk = fetch_sdk(app, "python", account)
    assert account["token"] in sdk["code"] and f'DEFAULT_BASE_URL = "{app.base_url}"' in sdk["code"]
    spec = importlib.util.spec_from_file_location(name, save(folder, sdk))
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_python_sdk_generates_waits_and_downloads(api_app: LiveApp, account: dict, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("SMARTSPEC_API_KEY", raising=False)
    module = load_python_sdk(api_app, account, tmp_path, "smartspec_client_live")

    with module.SmartSpecClient() as client:  # the embedded token and base URL
        started = client.generate_image(PROMPT, aspect_ratio="1:1", wait=False)
        assert started.status in {"pending", "running"}
        seen: list[int] = []
        task = client.wait_for_task(started.id, interval=0.5, timeout=120, on_progress=lambda t: seen.append(t.progress))
        assert task.status == "completed" and task.progress == 100 and seen[-1] == 100
        assert task.output_url and task.output_url.startswith("http")
        media = httpx.get(task.output_url, timeout=30)
        assert media.status_code == 200 and len(media.content) > 0
        saved = client.download_output(task, tmp_path / "result.bin")
        assert saved.read_bytes() == media.content
        assert task.id in {t.id for t in client.list_tasks(page_size=50).items}
        word = PROMPT.split()[-1].upper()  # the history's filters: prompt text (any case), kind, status, dates
        assert task.id in {t.id for t in client.list_tasks(q=word, task_type="image", status="completed", created_after="2020-01-01").items}
        assert task.id not in {t.id for t in client.list_tasks(task_type="speech").items}
        assert client.list_tasks(q="no such prompt anywhere").total == 0

        waited = client.generate_image(PROMPT, model="nano-banana-pro", aspect_ratio="4:3", interval=0.5)  # waits by default
        assert waited.status == "completed" and waited["output_url"] == waited.output_url and waited["parameters"]["aspect_ratio"] == "4:3"
        assert httpx.get(waited["output_url"], timeout=30).status_code == 200

        with pytest.raises(module.TaskFailedError) as failed:
            client.generate_image(f"[sandbox:fail] {PROMPT}", interval=0.5, timeout=120)
        assert failed.value.task.status == "failed" and failed.value.task.error_message

        running = client.generate_image(f"[sandbox:slow] {PROMPT}", wait=False)
        cancelled = client.cancel_task(running)
        assert cancelled.status == "cancelled" and cancelled["credits_used"] == 0
        with pytest.raises(module.TaskFailedError) as stopped:
            client.wait_for_task(running, interval=0.5, timeout=30)
        assert stopped.value.code == "cancelled"
        with pytest.raises(module.ConflictError):
            client.cancel_task(running.id)


def test_python_sdk_shares_to_the_gallery_and_likes(api_app: LiveApp, account: dict, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("SMARTSPEC_API_KEY", raising=False)
    module = load_python_sdk(api_app, account, tmp_path, "smartspec_client_gallery")
    with module.SmartSpecClient() as client:
        task = client.wait_for_task(client.generate_image(PROMPT), interval=0.5, timeout=120)
        item = client.share_to_gallery(task.id, "Lighthouse from the SDK", tags="sdk, test", category="art")
        assert item["slug"] and item["url"].startswith("http") and item["tags"] == ["sdk", "test"]
        assert client.like(item["id"])["liked"] is True
        assert client.like(item["id"])["liked"] is True  # "like" is idempotent
        assert item["id"] in {i["id"] for i in client.list_gallery(sort_by="newest")["items"]}
        assert [i["id"] for i in client.list_gallery(q="lighthouse SDK", tag="sdk")["items"]] == [item["id"]]
        with pytest.raises(module.ConflictError):
            client.share_to_gallery(task.id, "The same task again")


def test_javascript_sdk_runs_under_node(api_app: LiveApp, account: dict, tmp_path: Path) -> None:
    tools.require_js_tools()
    module = save(tmp_path, fetch_sdk(api_app, "javascript"))  # the placeholder version: the key comes from the environment
    out = tools.run_script(
        "client_check.mjs",
        {"module": str(module), "mode": "live", "baseUrl": api_app.base_url, "prompt": PROMPT},
        env={"SMARTSPEC_API_KEY": account["token"]},
    )
    assert out["started"]["taskType"] == "image"
    assert out["done"]["status"] == "completed" and out["done"]["outputUrl"].startswith("http")
    assert out["download"]["status"] == 200 and out["download"]["bytes"] > 0
    assert out["listed"] is True
    assert out["waited"]["status"] == "completed" and out["waited"]["outputUrl"].startswith("http")
    assert out["waited"]["aspectRatio"] == "4:3"
    assert out["filtered"] == {"matching": True, "otherKind": False}
    assert out["failed"]["error"]["name"] == "TaskFailedError"
    assert out["cancelled"] == {"status": "cancelled"}
    assert out["waitCancelled"]["error"]["name"] == "TaskFailedError" and out["waitCancelled"]["error"]["code"] == "cancelled"
    assert out["cancelAgain"]["error"]["name"] == "ConflictError" and out["cancelAgain"]["error"]["status"] == 409


def test_react_hook_gets_a_result_with_an_output_url(api_app: LiveApp, account: dict, tmp_path: Path) -> None:
    tools.require_js_tools()
    module = save(tmp_path, fetch_sdk(api_app, "react"))
    config = {"module": str(module), "baseUrl": api_app.base_url, "apiKey": account["token"], "prompt": PROMPT}
    out = tools.run_script("hook_check.mjs", config)
    assert out["final"]["loading"] is False and out["final"]["error"] is None
    assert out["final"]["result"]["status"] == "completed" and out["final"]["result"]["outputUrl"].startswith("http")
    assert out["returned"] == out["final"]["result"]
    assert out["download"]["status"] == 200 and out["download"]["bytes"] > 0
    assert any(r["loading"] for r in out["renders"]) and out["renders"][-1]["progress"] == 100


def test_sdk_page_shows_copies_and_downloads_code_with_a_chosen_token(live_app: LiveApp, page: Page) -> None:
    """The /sdk page in the browser: tabs, the owner's token filled in on request, the download."""
    sign_up(page, live_app)
    page.goto(live_app.base_url + "/account")
    page.fill("#token-name", "laptop")
    page.click("#create-token")
    expect(page.locator("#new-token")).to_have_value(re.compile(r"^ssp_.{20,}"))  # a read-only field: the state never holds it
    token = page.locator("#new-token").input_value().strip()

    page.goto(live_app.base_url + "/sdk")
    expect(page.locator("#sdk-key-warning")).to_contain_text("server-side proxy")
    python_code = page.locator("#sdk-code-python")
    expect(python_code).to_contain_text("class SmartSpecClient")
    expect(python_code).to_contain_text(live_app.base_url)
    expect(python_code).not_to_contain_text(token)

    page.click("#sdk-tab-typescript")
    expect(page.locator("#sdk-code-typescript")).to_contain_text("export class SmartSpecClient")
    page.click("#sdk-token-select")
    page.get_by_role("option", name="laptop").click()
    expect(page.locator("#sdk-code-typescript")).to_contain_text(token)
    save_screenshot(page, "sdk-page.png")

    page.click("#sdk-copy")
    expect(page.locator("#sdk-notice")).to_contain_text("Copied")
    with page.expect_download() as download_info:
        page.click("#sdk-download")
    download = download_info.value
    assert download.suggested_filename == "smartspec-client.ts"
    assert token in Path(download.path()).read_text()

    page.click("#sdk-tab-react")
    expect(page.locator("#sdk-code-react")).to_contain_text("export function useSmartSpec")
    expect(page.locator("#sdk-code-react")).to_contain_text(token)


# ---------------------------------------------------------------------------------------------
# The specification's examples, verbatim (tests/e2e/spec_examples.py), key and base URL filled in
# ---------------------------------------------------------------------------------------------


def spec_folder(tmp_path: Path, app: LiveApp, *languages: str) -> Path:
    """A folder holding the SDK files as fetched from the live app (placeholder versions)."""
    for language in languages:
        save(tmp_path, fetch_sdk(app, language))
    return tmp_path


def test_the_spec_python_example_runs_as_written(api_app: LiveApp, account: dict, tmp_path: Path) -> None:
    folder = spec_folder(tmp_path, api_app, "python")
    script = folder / "example.py"
    script.write_text(spec_examples.filled_in(spec_examples.PYTHON_EXAMPLE, api_key=account["token"], base_url=api_app.base_url))
    done = subprocess.run([sys.executable, str(script)], cwd=folder, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    (line,) = done.stdout.strip().splitlines()
    assert line.startswith(f"Image URL: {api_app.base_url}/")
    picture = httpx.get(line.removeprefix("Image URL: "), timeout=30)
    assert picture.status_code == 200 and picture.headers["content-type"] == "image/png"


@pytest.mark.parametrize("module", ["smartspec-client.ts", "smartspec-client.js"])
def test_the_spec_typescript_example_type_checks_and_runs(api_app: LiveApp, account: dict, tmp_path: Path, module: str) -> None:
    tools.require_js_tools()
    folder = spec_folder(tmp_path, api_app, "typescript" if module.endswith(".ts") else "javascript")
    example = folder / "example.ts"
    example.write_text(spec_examples.filled_in(spec_examples.TYPESCRIPT_EXAMPLE, api_key=account["token"], base_url=api_app.base_url))
    if module.endswith(".ts"):
        checked = tools.typecheck(example)  # tsc --strict: the example and the client it imports
        assert checked.returncode == 0, checked.stdout + checked.stderr
    else:
        checked = tools.typecheck(folder / module, check_js=True)
        assert checked.returncode == 0, checked.stdout + checked.stderr
    extensions = ".ts" if module.endswith(".ts") else ".js"
    done = tools.run_node(example, env={"SPEC_EXTENSIONS": extensions})
    assert done.returncode == 0, done.stderr[-3000:]
    (line,) = done.stdout.strip().splitlines()
    assert line.startswith(f"Image URL: {api_app.base_url}/")
    assert httpx.get(line.removeprefix("Image URL: "), timeout=30).status_code == 200


def react_component(folder: Path, name: str, source: str) -> Path:
    """A .tsx file of `source` exporting `name`, compiled with tsc --strict (with useSmartSpec.ts) to out/."""
    tsx = folder / f"{name}.tsx"
    tsx.write_text(f"{source}\nexport {{ {name} }};\n")
    compiled = tools.compile_tsx(tsx, out_dir=folder / "out")
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    return folder / "out" / f"{name}.js"


def test_the_spec_react_component_shows_the_finished_image(api_app: LiveApp, account: dict, tmp_path: Path) -> None:
    tools.require_js_tools()
    folder = spec_folder(tmp_path, api_app, "react")
    source = spec_examples.filled_in(spec_examples.REACT_EXAMPLE, api_key=account["token"], base_url=api_app.base_url)
    module = react_component(folder, "ImageGenerator", source)
    out = tools.run_script("spec_react_check.mjs", {"module": str(module), "component": "ImageGenerator"})
    assert out["before"] == {"button": "Generate Image", "disabled": False, "img": None, "error": None}
    assert out["during"]["button"] == "Generating..." and out["during"]["disabled"] is True  # loading until the task ends
    final = out["final"]
    assert final["button"] == "Generate Image" and not final["disabled"] and final["error"] is None
    assert final["img"]["alt"] == "Generated" and final["img"]["src"].startswith(f"{api_app.base_url}/")
    assert out["download"]["status"] == 200 and out["download"]["type"] == "image/png" and out["download"]["bytes"] > 0


def test_the_spec_react_components_error_renders_a_failed_tasks_message(api_app: LiveApp, account: dict, tmp_path: Path) -> None:
    tools.require_js_tools()
    folder = spec_folder(tmp_path, api_app, "react")
    source = spec_examples.filled_in(spec_examples.REACT_EXAMPLE, api_key=account["token"], base_url=api_app.base_url)
    failing = source.replace("function ImageGenerator", "function FailingGenerator").replace(
        "'A beautiful landscape'", "'[sandbox:fail] A beautiful landscape'"
    )
    module = react_component(folder, "FailingGenerator", failing)
    out = tools.run_script("spec_react_check.mjs", {"module": str(module), "component": "FailingGenerator"})
    final = out["final"]
    assert final["img"] is None and not final["disabled"]
    assert final["error"].startswith("Error: Task ") and "Sandbox task failed on request" in final["error"]
