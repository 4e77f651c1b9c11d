#!/usr/bin/env bash
# Prepare a machine for shequn: system packages (as root, Debian), then a virtual
# environment at .venv with the pinned packages of requirements.lock. Idempotent:
# a second run with an unchanged lockfile does nothing.
#   scripts/setup.sh           what the embedded engine (DuckDB) needs: no Java
#   scripts/setup.sh --spark   and Java >= 17, for the Spark engine and its tests
#   scripts/setup.sh --postgres  and a PostgreSQL server, for the tests of the PostgreSQL
#                                path (the tests start a throwaway one on loopback)
#   scripts/setup.sh --web     and Debian's Chromium and CJK fonts, for the browser tests
#                              (Playwright drives /usr/bin/chromium; no browser download)
set -euo pipefail
cd "$(dirname "$0")/.."

spark=0
postgres=0
web=0
for arg in "$@"; do
  case "$arg" in
    --spark) spark=1 ;;
    --postgres) postgres=1 ;;
    --web) web=1 ;;
    *) echo "setup: unknown option $arg (use --spark, --postgres, --web)" >&2; exit 2 ;;
  esac
done

# The major version of the java on the PATH (8 for "1.8.0_392", 21 for "21.0.2"), or 0.
java_major() {
  local v
  v=$(java -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n1 || true)
  v=${v#1.}
  echo "${v%%[.+-]*}" | grep -E '^[0-9]+$' || echo 0
}

PYTHON=${PYTHON:-python3}
VENV=.venv
STAMP=$VENV/.installed

need_apt=()
$PYTHON -c 'import venv, ensurepip' 2>/dev/null || need_apt+=(python3-venv)
# LightGBM's wheel links OpenMP's runtime.
ldconfig -p 2>/dev/null | grep -q 'libgomp\.so\.1' || need_apt+=(libgomp1)
# The Spark engine (PySpark local mode) runs on Java 17 or later; only --spark asks.
if [ $spark = 1 ] && [ "$(java_major)" -lt 17 ]; then
  need_apt+=(openjdk-17-jre-headless)
fi
if [ $postgres = 1 ] && ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  need_apt+=(postgresql)
fi
# The browser tests: Chromium from Debian, and a CJK font so that Chinese renders in
# headless pages, screenshots and charts (not empty boxes); an emoji font for the
# reactions and icons phones draw with theirs.
if [ $web = 1 ]; then
  [ -x /usr/bin/chromium ] || need_apt+=(chromium)
  fc-list 2>/dev/null | grep -qi 'Noto Sans CJK' || need_apt+=(fonts-noto-cjk)
  fc-list 2>/dev/null | grep -qi 'Noto Color Emoji' || need_apt+=(fonts-noto-color-emoji)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
  else
    echo "setup: please install: ${need_apt[*]}" >&2; exit 1
  fi
fi

want=$(cat requirements.lock pyproject.toml | sha256sum | cut -d' ' -f1)
if [ -x $VENV/bin/python ] && [ -f $STAMP ] && [ "$(cat $STAMP)" = "$want" ]; then
  exit 0
fi
[ -x $VENV/bin/python ] || $PYTHON -m venv $VENV
$VENV/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
$VENV/bin/python -m pip install -q --disable-pip-version-check -r requirements.lock
$VENV/bin/python -m pip install -q --disable-pip-version-check --no-deps -e .
echo "$want" > $STAMP
