#!/usr/bin/env bash
# One command for learners: set everything up, then open JupyterLab on chapters/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/jupyter lab chapters/ "$@"
