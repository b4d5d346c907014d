#!/usr/bin/env bash
# One command: set up, render sample bulletin scans, ingest them into ./demo-archive, search,
# then (on a terminal) serve the archive to a browser at http://127.0.0.1:8000/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/bantin demo --archive demo-archive "$@"
if [ -t 0 ] && [ -t 1 ]; then
  echo "Open http://127.0.0.1:8000/ in a browser (Ctrl-C stops the server)."
  exec .venv/bin/bantin serve --archive demo-archive
fi
