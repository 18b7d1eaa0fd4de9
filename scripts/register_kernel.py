"""Give the course's Jupyter its kernel without touching the user's other Jupyter installs (setup.sh runs this).

    .venv/bin/python scripts/register_kernel.py [--prefix DIR]     (DIR: where to write it; default: this venv)

- Writes the ``python3`` kernelspec ("Python 3 (course)", running this venv's Python) inside the venv
  (``<venv>/share/jupyter/kernels/python3``). The venv's jupyter reads its own folders before the user's
  (jupyter_core prefers the environment's paths inside a venv), so ``bash scripts/course.sh`` runs notebooks in the
  course's Python even where the user's home holds another ``python3`` kernel.
- Writes nothing in the user's Jupyter folder (``~/.local/share/jupyter``): a kernel named ``python3`` there would
  change which Python every other Jupyter of that account runs as "Python 3".
- Earlier versions of setup.sh did register it there (``ipykernel install --user``). That copy is removed when, and
  only when, it is the course's own: display name "Python 3 (course)" and this venv's Python.
"""
from __future__ import annotations

import json
import os
import shutil
import sys

NAME = "python3"
DISPLAY_NAME = "Python 3 (course)"


def is_course_kernel(spec_dir: str, python: str) -> bool:
    """True if ``spec_dir/kernel.json`` is the course kernel that runs ``python`` (paths compared unresolved)."""
    try:
        with open(os.path.join(spec_dir, "kernel.json"), encoding="utf-8") as f:
            spec = json.load(f)
        return spec.get("display_name") == DISPLAY_NAME and \
            os.path.abspath(spec["argv"][0]) == os.path.abspath(python)
    except (OSError, ValueError, KeyError, IndexError, TypeError, AttributeError):
        return False


def remove_old_user_copy(user_data_dir: str, python: str) -> str | None:
    """Delete ``user_data_dir/kernels/python3`` if an earlier setup.sh wrote it for ``python``; return what was removed."""
    spec_dir = os.path.join(user_data_dir, "kernels", NAME)
    if not is_course_kernel(spec_dir, python):
        return None
    shutil.rmtree(spec_dir)
    return spec_dir


def main(argv: list[str] | None = None) -> int:
    import argparse

    from ipykernel.kernelspec import install
    from jupyter_core.paths import jupyter_data_dir

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--prefix", default=sys.prefix, help="write <prefix>/share/jupyter/kernels/python3 (default: this venv)")
    args = ap.parse_args(argv)
    install(kernel_name=NAME, display_name=DISPLAY_NAME, prefix=args.prefix)
    removed = remove_old_user_copy(jupyter_data_dir(), sys.executable)
    if removed:
        print(f"[setup] removed the course kernel that an earlier setup.sh registered in {removed} "
              "(it is now inside the venv)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
