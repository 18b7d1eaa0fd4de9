#!/usr/bin/env bash
# Record the current .venv as the tested versions: constraints/tested.txt (what scripts/setup.sh installs) and its
# packaged copy course_utils/tested_versions.txt (what cu.setup() compares against, also when installed from git).
# Run after a deliberate upgrade, once the notebooks have been re-executed with it. The editable course package
# itself is left out, and torch loses its local build label (2.13.0+cpu -> 2.13.0: the CPU, CUDA and macOS builds
# all satisfy it).
set -euo pipefail
cd "$(dirname "$0")/.."
VPY=${VPY:-.venv/bin/python}
{
  echo "# Tested versions: the exact environment that produced the committed notebook outputs (Python $("$VPY" -c 'import sys; print("%d.%d" % sys.version_info[:2])'), CPU)."
  echo "# scripts/setup.sh installs with \`pip install -c constraints/tested.txt ...\` unless COURSE_DEPS=newest."
  echo "# Regenerate after a deliberate upgrade: bash scripts/freeze_tested.sh  (also refreshes course_utils/tested_versions.txt)"
  "$VPY" -m pip freeze --exclude-editable --disable-pip-version-check 2>/dev/null \
    | grep -v -e '^#' -e '^-e ' -e '^bow-to-bert' | sed -E 's/^(torch|torchvision|torchaudio)==([^+]+)\+.*$/\1==\2/'
} > constraints/tested.txt
{
  echo "# Generated from constraints/tested.txt by scripts/freeze_tested.sh: do not edit by hand (a test checks they agree)."
  grep -v '^#' constraints/tested.txt
} > course_utils/tested_versions.txt
echo "[freeze] $(grep -vc '^#' constraints/tested.txt) pinned packages -> constraints/tested.txt, course_utils/tested_versions.txt"
