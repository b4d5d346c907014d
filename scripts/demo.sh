#!/usr/bin/env bash
# One command: set up, render sample bulletin scans, ingest them into ./demo-archive, search.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/bantin demo --archive demo-archive "$@"
