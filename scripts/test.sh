#!/usr/bin/env bash
# The whole check: lint, format, types, then every test (called by ./dev test and .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
PACKAGES=(app graphs agents conversation llm tools prompts benchmarks testing data_access)
export SWITCHBOARD_TEST_ARTIFACTS="${SWITCHBOARD_TEST_ARTIFACTS:-$PWD/test-artifacts}"
echo "== ruff check" && .venv/bin/ruff check "${PACKAGES[@]}" tests
echo "== ruff format --check" && .venv/bin/ruff format --check "${PACKAGES[@]}" tests
echo "== mypy" && .venv/bin/mypy
# --- browser tests (issue 6, service owner): Debian's chromium, driven by Playwright by path ---
# tests/browser launches /usr/bin/chromium (never `playwright install`); install it when missing.
if ! command -v chromium >/dev/null 2>&1; then
  echo "== installing chromium (apt-get) for tests/browser" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  { $SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q chromium; } \
    || echo "warning: could not install chromium; tests/browser will be skipped" >&2
fi
# --- end browser tests ---
echo "== pytest" && .venv/bin/python -m pytest "$@"
