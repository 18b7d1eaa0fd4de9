"""Where the course lives online: the repository and the ref (tag or branch) that every link and install names.

The single source of truth is ``pyproject.toml`` (``[project.urls] Repository`` and ``[tool.course] ref``).
The two constants below are a copy that travels with the installed package (Colab has no pyproject.toml);
``python scripts/sync_links.py`` rewrites them together with every Colab badge, the README table, the chapter
template and each chapter's first cell, and ``python scripts/sync_links.py --check`` fails on any disagreement.
Never edit them by hand. This module imports nothing heavy: the sync script loads it by path.
"""
from __future__ import annotations

REPO_SLUG = "bow-to-bert/text-classification-course"  # written by scripts/sync_links.py
REF = "v0.1.0"  # written by scripts/sync_links.py

PACKAGE = "bow-to-bert"
BADGE_SVG = "https://colab.research.google.com/assets/colab-badge.svg"


def repo_url(slug: str = REPO_SLUG) -> str:
    return f"https://github.com/{slug}"


def pip_spec(slug: str = REPO_SLUG, ref: str = REF) -> str:
    """What a Colab first cell installs: this package from git, at the same ref as the notebook's badge."""
    return f"{PACKAGE} @ git+{repo_url(slug)}@{ref}"


def colab_url(notebook_path: str, slug: str = REPO_SLUG, ref: str = REF) -> str:
    """The "Open in Colab" URL of a notebook of this repository (``chapters/01_....ipynb``)."""
    return f"https://colab.research.google.com/github/{slug}/blob/{ref}/{notebook_path}"


def badge(notebook_path: str, slug: str = REPO_SLUG, ref: str = REF) -> str:
    return f"[![Open In Colab]({BADGE_SVG})]({colab_url(notebook_path, slug, ref)})"


# The first code cell of every chapter (only the chapter number differs). In Colab it installs the course at
# the notebook's own ref, once, keeping Colab's torch; elsewhere it only runs `cu.setup`.
SETUP_CELL = '''\
# Setup. In Colab: install the course package at this notebook's ref, once, keeping Colab's torch
# (COURSE_PIP_SPEC overrides what is installed). Locally and in CI the `if` block is skipped.
import importlib, importlib.metadata, importlib.util, os, shutil, subprocess, sys, tempfile
if "google.colab" in sys.modules:
    if importlib.util.find_spec("course_utils") is None:
        spec = os.environ.get("COURSE_PIP_SPEC", "{pip_spec}")
        keep = os.path.join(tempfile.mkdtemp(), "keep-torch.txt")  # pip must not replace Colab's torch
        open(keep, "w").write(f"torch=={{importlib.metadata.version('torch')}}\\n")
        pip = subprocess.run([sys.executable, "-m", "pip", "install", spec, "-c", keep],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if pip.returncode != 0:
            log, (url, _, ref) = pip.stdout, spec.split("git+")[-1].rpartition("@")
            print(log[-3000:])  # pip's own words; the last line below says what to do
            raise SystemExit("No network: connect, then Runtime → Restart session and run this cell again."
                if any(s in log for s in ("resolve host", "unreachable", "Failed to connect", "timed out")) else
                f"The ref {{ref}} does not exist in {{url}}: open the notebook from a tagged release or run scripts/sync_links.py."
                if any(s in log for s in ("remote ref", "did not match", "not found", "Username")) else
                "pip could not install the course package: the lines above say why.")
        importlib.invalidate_caches()
    if shutil.which("nvidia-smi") is None:
        print("No GPU: every chapter still runs, at smaller sizes. For speed: Runtime → Change runtime type → T4 GPU.")

import course_utils as cu
env = cu.setup(chapter="{chapter}")'''


def setup_cell(chapter: str, slug: str = REPO_SLUG, ref: str = REF) -> str:
    """The exact source of a chapter's first code cell (no trailing newline)."""
    return SETUP_CELL.format(pip_spec=pip_spec(slug, ref), chapter=chapter)
