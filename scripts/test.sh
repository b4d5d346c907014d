#!/usr/bin/env bash
# One command: set up, lint (ruff), type-check (mypy), run the tests (real Tesseract).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/mypy
.venv/bin/pytest -q "$@"
