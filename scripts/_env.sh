# Shared by scripts/run and scripts/test: a project virtualenv with the package installed, catalogs compiled.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
# Reinstall only when pyproject.toml changed since the last install.
stamp=.venv/.installed-$(sha1sum pyproject.toml | cut -c1-12)-${EXTRAS:-base}
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".${EXTRAS:+[$EXTRAS]}"
  rm -f .venv/.installed-* && touch "$stamp"
fi
.venv/bin/pybabel -q compile -d feedback_app/translations
export FLASK_APP=feedback_app

# The demo's public address (scripts/run, scripts/scheduler): outside ENVIRONMENT=development the app needs
# PUBLIC_BASE_URL (QR codes and posters print it; only its host is answered). Unless the environment or
# instance/config.py sets one, it is this machine as HOST and PORT reach it: its LAN address when serving on
# 0.0.0.0 (a phone on the same network scans the QR), with localhost and 127.0.0.1 answered too.
demo_public_url() {
  if [ -n "${FEEDBACK_PUBLIC_BASE_URL:-}" ] || grep -qs '^PUBLIC_BASE_URL' instance/config.py; then
    return
  fi
  local address="${HOST:-127.0.0.1}"
  if [ "$address" = "0.0.0.0" ]; then
    address="$(hostname -I 2>/dev/null | awk '{print $1}')"
    address="${address:-127.0.0.1}"
  fi
  export FEEDBACK_PUBLIC_BASE_URL="http://$address:${PORT:-5000}"
  export FEEDBACK_EXTRA_TRUSTED_HOSTS="${FEEDBACK_EXTRA_TRUSTED_HOSTS:-[\"localhost\", \"127.0.0.1\"]}"
  echo "public address (QR codes, posters): $FEEDBACK_PUBLIC_BASE_URL (set PUBLIC_BASE_URL to change it)"
}
