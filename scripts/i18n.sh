#!/usr/bin/env bash
# Extract the messages to translate (bantin's and click's own) into bantin/locale/bantin.pot
# and merge them into each language's catalog; then translate what is new in
# bantin/locale/<lang>/LC_MESSAGES/bantin.po (tests/test_i18n.py says what is missing).
set -euo pipefail
cd "$(dirname "$0")/.."
click_dir=$(.venv/bin/python -c 'import click, os; print(os.path.dirname(click.__file__))')
.venv/bin/pybabel --quiet extract -F babel.cfg -k _ -k ngettext:1,2 --no-location --sort-output \
  --project bantin -o bantin/locale/bantin.pot bantin archive pipeline index "$click_dir"
for po in bantin/locale/*/LC_MESSAGES/bantin.po; do
  .venv/bin/pybabel --quiet update -i bantin/locale/bantin.pot -d bantin/locale -D bantin --no-fuzzy-matching \
    -l "$(basename "$(dirname "$(dirname "$po")")")"
done
