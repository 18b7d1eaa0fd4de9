#!/usr/bin/env bash
# One command for the tests: set up if needed, then unit tests + every notebook in chapters/ under nbval.
# Uses COURSE_PROFILE=smoke unless you set another profile.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export COURSE_PROFILE=${COURSE_PROFILE:-smoke}
export COURSE_RESULTS=${COURSE_RESULTS:-$(mktemp -d)/results.csv}   # keep test runs out of results/results.csv
export MPLBACKEND=${MPLBACKEND:-Agg}
echo "[test] profile=$COURSE_PROFILE data=${COURSE_DATA_DIR:-hub} offline=${HF_HUB_OFFLINE:-0}"
exec .venv/bin/python -m pytest "$@"
