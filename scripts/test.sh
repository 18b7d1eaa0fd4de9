#!/usr/bin/env bash
# One command for the tests: set up if needed, then unit tests + every notebook in chapters/ and student/ (the
# student copies) under nbval.
# Uses COURSE_PROFILE=smoke unless you set another profile.
# With the offline copies (COURSE_DATA_DIR) and no arguments, every chapter ALSO runs through the hub code path, with
# data shaped exactly as the hub serves it (tests/hubsim), the way a Colab learner meets it. That second pass runs
# alongside the first (its log is printed after it) and also runs the student copies (student/), which the first
# pass then skips; COURSE_HUB_PATH=0 skips it (the first pass then runs the student copies itself).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
export COURSE_PROFILE=${COURSE_PROFILE:-smoke}
export COURSE_RESULTS=${COURSE_RESULTS:-$(mktemp -d)/results.csv}   # keep test runs out of results/results.csv
export MPLBACKEND=${MPLBACKEND:-Agg}
echo "[test] profile=$COURSE_PROFILE data=${COURSE_DATA_DIR:-hub} offline=${HF_HUB_OFFLINE:-0}"
hub_pid=""
main_args=()
if [ $# -eq 0 ] && [ -n "${COURSE_DATA_DIR:-}" ] && [ "${COURSE_HUB_PATH:-1}" = 1 ]; then
  hub=$(mktemp -d)
  .venv/bin/python tests/hubsim/course_hubsim.py "$COURSE_DATA_DIR" "$hub/files" >/dev/null 2>&1 || exit 1
  COURSE_DATA_DIR= COURSE_HUBSIM_DIR="$hub/files" COURSE_RESULTS="$hub/results.csv" \
    PYTHONPATH="$PWD/tests/hubsim${PYTHONPATH:+:$PYTHONPATH}" \
    .venv/bin/python -m pytest chapters student >"$hub/log" 2>&1 &
  hub_pid=$!
  main_args=(--ignore=student)   # the student copies run in the hub pass (the path a Colab learner's copy takes)
fi
.venv/bin/python -m pytest ${main_args[@]+"${main_args[@]}"} "$@"
rc=$?
if [ -n "$hub_pid" ]; then
  wait "$hub_pid"
  rc_hub=$?
  echo
  echo "[test] every chapter again, and the student copies, through the hub code path (hub-shaped data, no COURSE_DATA_DIR):"
  cat "$hub/log"
  rm -rf "$hub"
  [ $rc -eq 0 ] && rc=$rc_hub
fi
exit $rc
