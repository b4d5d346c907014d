#!/usr/bin/env bash
# One command: set up, lint (ruff), type-check (mypy), check the import contracts, run the tests (real Tesseract).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
.venv/bin/ruff check .
.venv/bin/mypy
.venv/bin/lint-imports
.venv/bin/pytest -q "$@"
