#!/usr/bin/env bash
# Set up a fresh machine: system packages (when we may install them), the virtual environment
# from the pinned requirements, and the database schema. Safe to re-run.
#   scripts/setup.sh          runtime only
#   scripts/setup.sh --dev    plus the test tools, Debian's Chromium for browser tests and podman for the
#                             container check (CONTAINER_TOOLS=0 leaves podman out)
set -euo pipefail
cd "$(dirname "$0")/.."
dev=0; [ "${1:-}" = "--dev" ] && dev=1

apt_packages=(ffmpeg espeak-ng fonts-dejavu-core)   # sandbox video and speech renders
[ "$dev" = 1 ] && apt_packages+=(chromium)           # browser tests (Debian's build, never a download)
# the container check (scripts/container-check.sh): podman with runc, debootstrap for stand-in base images
[ "$dev" = 1 ] && [ "${CONTAINER_TOOLS:-1}" != 0 ] && apt_packages+=(podman runc slirp4netns debootstrap)
missing=()
for pkg in "${apt_packages[@]}"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  if command -v apt-get >/dev/null && { [ -z "$sudo" ] || command -v sudo >/dev/null; }; then
    echo "setup: installing ${missing[*]} from Debian"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "setup: please install ${missing[*]} (the sandbox falls back where it can)" >&2
  fi
fi

python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
if [ "$dev" = 1 ]; then
  .venv/bin/pip install -q -r requirements-dev.txt
else
  .venv/bin/pip install -q -r requirements.txt
fi
if [ "${NSFW_EXTRA:-1}" != 0 ]; then  # NSFW detection for moderation: NudeNet (AGPL-3.0); NSFW_EXTRA=0 leaves it out
  .venv/bin/pip install -q -r requirements-nsfw.txt
fi

export PATH="$PWD/.venv/bin:$PATH" REFLEX_USE_NPM=1
if [ "$dev" = 1 ]; then  # pinned npm tools (registry only): TypeScript/React for the SDK tests, Lighthouse for the page audits
  (cd tests/sdk_js && npm ci --no-audit --no-fund --loglevel=error)
  (cd tests/lighthouse && npm ci --no-audit --no-fund --loglevel=error)  # runs Debian's Chromium (CHROME_PATH); no browser download
fi
reflex db migrate
