#!/usr/bin/env bash
# One command from a fresh clone to a running app: set up, migrate, build, serve on one port.
#   HOST (default 127.0.0.1) and PORT (default 3000) choose where it listens.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH" REFLEX_USE_NPM=1
port=${PORT:-3000}
export SMARTSPEC_INTERNAL_URL=${SMARTSPEC_INTERNAL_URL:-http://127.0.0.1:$port}
echo "SmartSpec Pro: building and starting on http://${HOST:-127.0.0.1}:$port"
exec reflex run --env prod --single-port --frontend-port "$port" --backend-port "$port" --backend-host "${HOST:-127.0.0.1}"
