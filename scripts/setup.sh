#!/usr/bin/env bash
# Set up bantin on Debian/Ubuntu: system packages (Tesseract with the Vietnamese model,
# poppler, fonts with Vietnamese glyphs) and a virtualenv in .venv with bantin installed.
# "setup.sh test" also installs Chromium, which the browser tests drive.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(tesseract-ocr tesseract-ocr-vie tesseract-ocr-osd poppler-utils
          fonts-dejavu-core fonts-noto-core python3-venv)
[ "${1:-}" = test ] && packages+=(chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
log=.venv/setup-pip.log
if ! { .venv/bin/python -m pip install -q --upgrade pip && .venv/bin/python -m pip install -q -e '.[dev]'; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "setup: pip install failed (log above)" >&2
  exit 1
fi
.venv/bin/python -c "import bantin, tantivy, whoosh, underthesea, pytesseract" \
  || { echo "setup: the virtualenv is incomplete" >&2; exit 1; }
echo "setup: ready ($(tesseract --version 2>&1 | head -n1), langs: $(tesseract --list-langs 2>/dev/null | tail -n +2 | tr '\n' ' '))"
