#!/usr/bin/env bash
# The whole test suite, from a fresh Debian/Ubuntu machine: system packages, a venv with the
# test extras, Xvfb and PostgreSQL started for the run and stopped after it, then ruff, mypy
# and pytest.  Extra arguments go to pytest (e.g. ./scripts/test.sh -k codec -x).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=${VENV:-$ROOT/.venv}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
  echo "test.sh: not root and no sudo; skipping: $*" >&2; return 0; fi; }

need_pkgs=()
for p in xvfb xauth fonts-noto-cjk fonts-droid-fallback postgresql ghostscript; do
  dpkg -s "$p" >/dev/null 2>&1 || need_pkgs+=("$p")
done
python3 -c 'import venv, ensurepip' 2>/dev/null || need_pkgs+=(python3-venv)
python3 -c 'import tkinter' 2>/dev/null || need_pkgs+=(python3-tk)
if [ ${#need_pkgs[@]} -gt 0 ] && command -v apt-get >/dev/null; then
  echo "== apt-get install ${need_pkgs[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "== creating $VENV"
  python3 -m venv "$VENV"
fi
echo "== pip install -e .[test]"
"$VENV/bin/pip" install -q --upgrade pip >/dev/null
"$VENV/bin/pip" install -q -e "$ROOT[test]"

cleanup() {
  [ -n "${XVFB_PID:-}" ] && kill "$XVFB_PID" 2>/dev/null || true
  [ -n "${PG_STOP:-}" ] && eval "$PG_STOP" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# A virtual display for the Tk tests, unless one is already there.
if [ -z "${DISPLAY:-}" ] && command -v Xvfb >/dev/null; then
  for n in $(seq 90 99); do
    if [ ! -e "/tmp/.X11-unix/X$n" ] && [ ! -e "/tmp/.X$n-lock" ]; then
      Xvfb ":$n" -screen 0 1280x1024x24 -nolisten tcp >/dev/null 2>&1 &
      XVFB_PID=$!
      export DISPLAY=":$n"
      break
    fi
  done
fi

# A real PostgreSQL for the store tests (B-3), unless CALLCENTER_TEST_PG is already given.
if [ -z "${CALLCENTER_TEST_PG:-}" ] && command -v pg_lsclusters >/dev/null; then
  read -r PGVER PGNAME PGPORT PGSTATUS _ < <(pg_lsclusters --no-header | head -n1) || true
  if [ -n "${PGVER:-}" ]; then
    if [ "$PGSTATUS" != online ]; then
      if as_root pg_ctlcluster "$PGVER" "$PGNAME" start; then
        PG_STOP="as_root pg_ctlcluster $PGVER $PGNAME stop"
      fi
    fi
    ME=$(id -un)
    if [ "$(id -u)" = 0 ]; then
      su postgres -c "psql -p $PGPORT -tAc \"select 1 from pg_roles where rolname='$ME'\"" \
        | grep -q 1 || su postgres -c "psql -p $PGPORT -c 'create role $ME superuser login'" >/dev/null
    fi
    export CALLCENTER_TEST_PG="postgresql://$ME@/postgres?host=/var/run/postgresql&port=$PGPORT"
  fi
fi

echo "== ruff"
"$VENV/bin/ruff" check .
echo "== mypy"
"$VENV/bin/mypy" common/callcenter server/callcenter pbxsim/callcenter crm_client/callcenter tests
echo "== pytest"
if [ $# -gt 0 ]; then
  "$VENV/bin/python" -m pytest "$@"
else
  # The Tk window tests in a process of their own: Tcl must never see one of its objects
  # freed by another thread, and the rest of the suite runs many threads of its own.  The
  # two run side by side (the rest of the suite keeps one core busy at most); the window
  # tests' report follows the other's.
  GUI_LOG=$(mktemp)
  "$VENV/bin/python" -m pytest -p no:cacheprovider tests/server/console tests/crm/gui \
    >"$GUI_LOG" 2>&1 &
  GUI_PID=$!
  status=0
  "$VENV/bin/python" -m pytest --ignore=tests/server/console --ignore=tests/crm/gui || status=$?
  gui_status=0
  wait "$GUI_PID" || gui_status=$?
  echo "== pytest: the window tests"
  cat "$GUI_LOG"
  rm -f "$GUI_LOG"
  [ "$status" = 0 ] || exit "$status"
  exit "$gui_status"
fi
