"""Structure of every chapter notebook: title, Colab badge pointing at itself, setup cell, exercises, outputs."""
import json
import re
from pathlib import Path

import pytest

from course_utils.env import colab_url

CHAPTERS = Path(__file__).resolve().parents[1] / "chapters"
NOTEBOOKS = sorted(CHAPTERS.glob("[0-9][0-9]_*.ipynb"))
MACHINE_PATH = re.compile(r"(/work/|/tmp/|/root/|/home/\w+/)")


def load(path):
    return json.loads(path.read_text())


def source(cell):
    return "".join(cell["source"])


def test_there_are_notebooks():
    assert NOTEBOOKS, "no chapter notebooks found"
    numbers = [p.name[:2] for p in NOTEBOOKS]
    assert numbers == sorted(set(numbers)), "chapter numbers must be unique"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_title_cell_and_badge(path):
    cells = load(path)["cells"]
    title = source(cells[0])
    assert cells[0]["cell_type"] == "markdown" and title.startswith(f"# Chapter {path.name[:2]}")
    badge = colab_url(f"chapters/{path.name}")  # repository and ref from pyproject.toml (scripts/sync_links.py)
    assert badge in title, "the Colab badge must point at this very file"
    assert re.search(r"(?i)\btime\b", title) and re.search(r"(?i)\bcpu\b", title) and re.search(r"(?i)\bgpu\b", title), (
        "the title cell states the expected run time on CPU and on a GPU")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_setup_cell(path):
    code = [c for c in load(path)["cells"] if c["cell_type"] == "code"]
    first = source(code[0])
    assert f'cu.setup(chapter="{path.name[:2]}"' in first
    assert "google.colab" in first and "bow-to-bert @ git+" in first and "@v" in first, "Colab installs a pinned version"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_executed_clean_and_safe(path):
    nb = load(path)
    raw = json.dumps(nb)
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert any(c.get("outputs") for c in code), "commit notebooks executed (cpu profile)"
    assert not any(o.get("output_type") == "error" for c in code for o in c.get("outputs", []))
    assert not MACHINE_PATH.search(raw), "machine path in the notebook"
    assert "trust_remote_code=True" not in raw
    assert len(raw) < 3_000_000


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_exercises_have_hidden_solutions_that_assert(path):
    cells = [c for c in load(path)["cells"] if c["cell_type"] == "code"]
    solutions = [c for c in cells if source(c).lstrip().startswith("# Solution")]
    assert solutions, "every chapter has exercises with solutions"
    for cell in solutions:
        assert cell["metadata"].get("jupyter", {}).get("source_hidden"), "solution cells are collapsed"
        assert "assert " in source(cell) and "check_" in source(cell), "solutions prove themselves with a check"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_cell_ends_with_semicolon(path):
    for cell in load(path)["cells"]:
        if cell["cell_type"] == "code":
            lines = [l for l in source(cell).strip().splitlines() if l.strip() and not l.strip().startswith("#")]
            assert not (lines and lines[-1].rstrip().endswith(";")), source(cell)[:80]
