#!/usr/bin/env bash
# Prepare a machine for shequn: system packages (as root, Debian), then a virtual
# environment at .venv with the pinned packages of requirements.lock. Idempotent:
# a second run with an unchanged lockfile does nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=.venv
STAMP=$VENV/.installed

need_apt=()
$PYTHON -c 'import venv, ensurepip' 2>/dev/null || need_apt+=(python3-venv)
# LightGBM's wheel links OpenMP's runtime.
ldconfig -p 2>/dev/null | grep -q 'libgomp\.so\.1' || need_apt+=(libgomp1)
# The Spark engine (PySpark local mode) runs on Java 17.
java -version 2>&1 | grep -q 'version "17' || need_apt+=(openjdk-17-jre-headless)
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
