# Shared by scripts/run and scripts/test: a virtualenv with the project installed, and the
# front-end packages from the npm registry. Safe to run again: it only adds what is missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3)}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
  .venv/bin/python -m pip install --quiet --upgrade pip
fi
# pip's log goes to a file (this machine's pip config adds noisy warnings); shown on failure.
if ! .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".${EXTRAS:-}" \
    >.venv/pip-install.log 2>&1; then
  cat .venv/pip-install.log >&2
  exit 1
fi
if [ ! -d node_modules/govuk-frontend ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
# The design system's CSS, built with our font and asset path (cms/scss/govuk.scss).
if [ ! -f cms/static/cms/build/govuk.css ] || [ cms/scss/govuk.scss -nt cms/static/cms/build/govuk.css ] \
    || [ package-lock.json -nt cms/static/cms/build/govuk.css ]; then
  npx --no-install sass --no-source-map --style=compressed --quiet-deps --load-path=node_modules \
    cms/scss/govuk.scss cms/static/cms/build/govuk.css
fi
