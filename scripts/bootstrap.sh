#!/usr/bin/env bash
# Create .venv with Python 3.12+ (Django 6 needs it) and install Arrears with its test tools.
set -euo pipefail
cd "$(dirname "$0")/.."
find_python() {
  for cand in "${PYTHON:-}" python3.13 python3.12; do
    [ -n "$cand" ] || continue
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
      command -v "$cand"; return
    fi
  done
  if command -v pyenv >/dev/null 2>&1; then
    for v in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.1[2-9]' | sort -V -r); do
      PYENV_VERSION=$v pyenv which python3 && return
    done
  fi
  command -v python3
}
stamp=.venv/.installed
if [ ! -x .venv/bin/python ]; then
  PY=$(find_python)
  "$PY" -c 'import sys; assert sys.version_info >= (3, 12), "Arrears needs Python 3.12 or newer"'
  echo "bootstrap: creating .venv with $("$PY" --version)"
  "$PY" -m venv .venv
fi
if [ ! -f "$stamp" ] || [ requirements/base.txt -nt "$stamp" ] || [ requirements/dev.txt -nt "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check -U pip 2>&1 | grep -v "is ignored" || true
  .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements/dev.txt 2>&1 | grep -v "is ignored" || true
  .venv/bin/python -m pip install -q --disable-pip-version-check --no-deps -e . 2>&1 | grep -v "is ignored" || true
  .venv/bin/python -c "import django, arrears" 
  touch "$stamp"
fi
