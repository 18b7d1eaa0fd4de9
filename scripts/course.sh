#!/usr/bin/env bash
# One command for learners: set everything up, then open JupyterLab on chapters/.
# Extra arguments go to JupyterLab (e.g. bash scripts/course.sh --port 8890 --no-browser).
# As root (a container, a shared JupyterHub image) JupyterLab refuses to start without --allow-root: it is added
# then, and only then. Test hooks (never needed by learners): COURSE_UID overrides `id -u`, COURSE_JUPYTER the
# jupyter executable, COURSE_SKIP_SETUP=1 skips scripts/setup.sh, COURSE_NOTEBOOK_DIR the folder served instead of
# chapters/ (tests/test_lab_browser.py serves a temporary copy of a chapter).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${COURSE_SKIP_SETUP:-0}" != 1 ]; then
  bash scripts/setup.sh
fi
JUPYTER=${COURSE_JUPYTER:-.venv/bin/jupyter}
uid=${COURSE_UID:-$(id -u)}
extra=()
if [ "$uid" = 0 ]; then
  extra=(--allow-root)
  echo "[course] running as root: starting JupyterLab with --allow-root"
fi
port=8888
prev=""
for arg in "$@"; do  # the port the user asked for, for the message below
  case "$arg" in
    --port=*|--ServerApp.port=*) port=${arg#*=} ;;
  esac
  if [ "$prev" = "--port" ]; then port=$arg; fi
  prev=$arg
done
echo "[course] open the URL JupyterLab prints below (http://localhost:${port}/lab?token=...; the token is part of it)."
echo "[course] on a remote machine forward the port first: ssh -L ${port}:localhost:${port} USER@HOST"
# ${a[@]+"${a[@]}"}: an empty array under `set -u` in macOS's bash 3.2
exec "$JUPYTER" lab "${COURSE_NOTEBOOK_DIR:-chapters/}" ${extra[@]+"${extra[@]}"} "$@"
