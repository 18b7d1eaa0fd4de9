#!/usr/bin/env bash
# Test the OLDEST versions the project claims: a separate venv with every direct dependency pinned to its lower bound
# in pyproject.toml (constraints/oldest.txt, regenerated here), then the unit tests (no notebooks, no browser).
#   bash scripts/test_oldest.sh            (CI: bash .ci/run --oldest)
#   OLDEST_VENV=/path  PYTHON=python3.11   where the venv goes (default: a fixed folder under $TMPDIR), which Python
#   OLDEST_REINSTALL=1                      rebuild the venv from scratch
# Extra arguments go to pytest. torch stays at $TORCH_VERSION (2.13.0): see scripts/oldest_constraints.py.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
TORCH_VERSION=${TORCH_VERSION:-2.13.0}
VENV=${OLDEST_VENV:-${TMPDIR:-/tmp}/bow-to-bert-oldest-venv}
t0=$(date +%s)
"$PY" scripts/oldest_constraints.py > constraints/oldest.txt.new
if ! cmp -s constraints/oldest.txt.new constraints/oldest.txt 2>/dev/null; then
  echo "[oldest] constraints/oldest.txt updated from pyproject.toml (commit it)"
fi
mv constraints/oldest.txt.new constraints/oldest.txt
stamp=$(sha256sum constraints/oldest.txt | cut -c1-16)
if [ "${OLDEST_REINSTALL:-0}" = 1 ] || [ ! -f "$VENV/.oldest-$stamp" ]; then
  rm -rf "$VENV"
  echo "[oldest] creating $VENV with $($PY --version)"
  "$PY" -m venv "$VENV"
  VPY=$VENV/bin/python
  log=$(mktemp)
  # torch first, alone (the CPU wheel where one is at hand; never an unpinned torch), then the course with the oldest
  # pins. Binary wheels only: a package that would compile from source counts as "does not install".
  if ! { "$VPY" -m pip install -q --disable-pip-version-check --upgrade pip \
         && "$VPY" -m pip install -q --disable-pip-version-check "torch==$TORCH_VERSION" \
         && "$VPY" -m pip install -q --disable-pip-version-check --only-binary=:all: \
              -c constraints/oldest.txt -e ".[dev,offline]"; } >"$log" 2>&1; then
    grep -v "^WARNING: Location" "$log" | tail -n 40; rm -f "$log"
    echo "[oldest] the oldest versions did not install (log above)"; exit 1
  fi
  rm -f "$log"
  touch "$VENV/.oldest-$stamp"
fi
VPY=$VENV/bin/python
echo "[oldest] installed in $(( $(date +%s) - t0 )) s:" \
  "$("$VPY" -W ignore -c "
from importlib.metadata import version as v
print(' '.join(f'{n} {v(n)}' for n in ('torch','transformers','datasets','accelerate','huggingface_hub','scikit-learn','pandas','pyarrow','numpy','gensim')))")"
export COURSE_PROFILE=${COURSE_PROFILE:-smoke} MPLBACKEND=${MPLBACKEND:-Agg}
export COURSE_RESULTS=${COURSE_RESULTS:-$(mktemp -d)/results.csv}
export HF_HUB_OFFLINE=${HF_HUB_OFFLINE:-1}
set +e
"$VPY" -m pytest tests/ -o addopts="" -p no:cacheprovider -x -q --ignore=tests/test_browser_attention.py --ignore=tests/test_lab_browser.py "$@"
rc=$?
set -e
echo "[oldest] total $(( $(date +%s) - t0 )) s"
exit $rc
