#!/usr/bin/env bash
# Set up everything the tests need on a fresh machine, then lint and run the whole suite
# (unit tests on SQLite and PostgreSQL when it answers on 127.0.0.1:5432, and the real app in Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --dev
export PATH="$PWD/.venv/bin:$PATH" REFLEX_USE_NPM=1
ruff check .
ruff format --check .
pytest "$@"
