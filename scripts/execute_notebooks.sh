#!/usr/bin/env bash
# Maintainers: execute notebooks top to bottom IN PLACE in the given profile (default cpu), recording their
# results in results/results.csv, so the committed notebooks show real outputs.
#   bash scripts/execute_notebooks.sh chapters/01_bag_of_words.ipynb        (or no argument: every chapter)
# then rewrites student/ and docs/instructor_guide.md, which copy text and measured times from the chapters.
set -euo pipefail
cd "$(dirname "$0")/.."
export COURSE_PROFILE=${COURSE_PROFILE:-cpu}
export MPLBACKEND=module://matplotlib_inline.backend_inline
files=("$@"); [ ${#files[@]} -eq 0 ] && files=(chapters/[0-9]*.ipynb)
for nb in "${files[@]}"; do
  start=$(date +%s)
  (cd chapters && ../.venv/bin/jupyter nbconvert --to notebook --execute --inplace \
      --ExecutePreprocessor.timeout=3600 --ExecutePreprocessor.kernel_name=python3 "$(basename "$nb")")
  seconds=$(( $(date +%s) - start ))
  COURSE_RUN_SECONDS=$seconds .venv/bin/python scripts/clean_notebook.py "$nb"
  echo "[execute] $nb in profile $COURSE_PROFILE: $seconds s"
done
# The student copies (student/) and the instructor guide (docs/) copy text and times from the chapters: refresh them.
.venv/bin/python scripts/build_student.py
.venv/bin/python scripts/build_guide.py
