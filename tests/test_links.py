"""Every link to the course's online home agrees with pyproject.toml (offline, seconds).

The source of truth is ``[project.urls] Repository`` + ``[tool.course] ref``; ``scripts/sync_links.py`` writes it
into the Colab badges, the chapters' first cells, the README table and the chapter template.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from script_loader import load_script

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "sync_links.py"



sync = load_script("sync_links")
links = sync.load_links(ROOT)
SLUG, REF = sync.read_source(ROOT)


def _git_notebooks() -> list[str]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        return sorted(p.relative_to(ROOT).as_posix() for p in sync.notebooks(ROOT))
    out = subprocess.run(["git", "-C", str(ROOT), "ls-files", "--cached", "--others", "--exclude-standard",
                          "chapters/*.ipynb", "student/*.ipynb"], check=True, stdout=subprocess.PIPE, text=True).stdout
    return sorted(p for p in out.splitlines() if (ROOT / p).is_file() and ".ipynb_checkpoints" not in p)


NOTEBOOKS = _git_notebooks()


def _cells(rel: str) -> list[dict]:
    return json.loads((ROOT / rel).read_text(encoding="utf-8"))["cells"]


def _src(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def test_source_of_truth_is_in_pyproject():
    assert re.fullmatch(r"[\w.-]+/[\w.-]+", SLUG) and REF
    # the copy that travels with the installed package (Colab has no pyproject.toml)
    assert (links.REPO_SLUG, links.REF) == (SLUG, REF), "course_utils/links.py: run `python scripts/sync_links.py`"


def test_there_are_chapter_notebooks():
    assert any(p.startswith("chapters/") for p in NOTEBOOKS)


@pytest.mark.parametrize("rel", NOTEBOOKS)
def test_exactly_one_badge_pointing_at_its_own_path(rel):
    cells = _cells(rel)
    badges = [m for c in cells if c["cell_type"] == "markdown" for m in sync.BADGE_RE.finditer(_src(c))]
    assert len(badges) == 1, f"{rel}: {len(badges)} Colab badges, want exactly one"
    assert cells[0]["cell_type"] == "markdown" and badges[0].group(0) in _src(cells[0]), "the badge is in the title cell"
    b = badges[0]
    assert b.group("path") == rel, f"the badge opens {b.group('path')}, not this notebook"
    assert (b.group("slug"), b.group("ref")) == (SLUG, REF), f"badge at {b.group('slug')}@{b.group('ref')}, pyproject says {SLUG}@{REF}"
    assert b.group(0) == links.badge(rel, SLUG, REF)


@pytest.mark.parametrize("rel", [p for p in NOTEBOOKS if sync.CHAPTER_RE.match(Path(p).name)])
def test_first_cell_installs_the_same_ref_as_the_badge(rel):
    first = _src(next(c for c in _cells(rel) if c["cell_type"] == "code"))
    specs = [m.group(0) for m in sync.SPEC_RE.finditer(first)]
    assert specs == [links.pip_spec(SLUG, REF)], f"{rel} installs {specs}; its badge opens {SLUG}@{REF}"
    assert first == links.setup_cell(Path(rel).name[:2], SLUG, REF), f"{rel}: run `python scripts/sync_links.py`"


def test_setup_cell_shape():
    cell = links.setup_cell("04")
    compile(cell, "<setup cell>", "exec")
    assert len(cell.splitlines()) <= 25, "the first cell is for learners: keep it short"
    assert '"-q"' not in cell, "pip's output must be visible when it fails"
    assert "COURSE_PIP_SPEC" in cell and '"-c", keep' in cell and "torch==" in cell
    assert cell.endswith('env = cu.setup(chapter="04")')
    # Outside Colab the install block is skipped: run the cell's first part with a fake course_utils.
    head = cell.split("import course_utils as cu")[0]
    ns: dict = {}
    exec(compile(head, "<setup cell>", "exec"), ns)  # no google.colab here: must do nothing
    assert "pip" not in ns and "spec" not in ns


def test_readme_table_agrees():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if re.match(r"\|\s*\d\d\s*\|", line) and "colab-badge" in line]
    chapters = [p for p in NOTEBOOKS if p.startswith("chapters/")]
    students = [p for p in NOTEBOOKS if p.startswith("student/")]
    assert len(rows) == len(chapters), "one README table row with a badge per chapter notebook"
    for row in rows:
        link = re.search(r"\]\((chapters/[^)]+\.ipynb)\)", row).group(1)
        student = "student/" + Path(link).name
        # the chapter's badge, then (when the chapter has a student copy) the student copy's badge
        want = [link, student] if student in students else [link]
        assert [b.group("path") for b in sync.BADGE_RE.finditer(row)] == want and link in chapters, row
        assert [b.group(0) for b in sync.BADGE_RE.finditer(row)] == [links.badge(p, SLUG, REF) for p in want], row
        if student in students:
            assert f"]({student})" in row, f"the row links the student copy's file too: {row}"
    for m in sync.SPEC_RE.finditer(text):
        assert m.group(0) == links.pip_spec(SLUG, REF), f"README installs {m.group(0)!r}"


def test_template_agrees():
    text = (ROOT / "templates" / "chapter_template.py").read_text(encoding="utf-8")
    assert [m.group(0) for m in sync.BADGE_RE.finditer(text)] == [links.badge(sync.TEMPLATE_PATH, SLUG, REF)]
    assert links.setup_cell("NN", SLUG, REF) in text


def test_check_passes_on_the_repository():
    proc = subprocess.run([sys.executable, str(SCRIPT), "--check"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)
    assert proc.returncode == 0, proc.stdout


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    for rel in ["pyproject.toml", "README.md", "CONTRIBUTING.md", "templates", "course_utils/links.py", "scripts/sync_links.py",
                *NOTEBOOKS]:
        src, dst = ROOT / rel, root / rel
        if src.is_dir():
            shutil.copytree(src, dst)
        elif src.is_file():
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    return root


def _script(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(root / "scripts" / "sync_links.py"), *args],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_round_trip_on_a_copy(tmp_path):
    root = _copy(tmp_path)
    # a student copy with a badge that points at the chapter, not at itself
    chapter = next(p for p in NOTEBOOKS if p.startswith("chapters/00_"))
    (root / "student").mkdir(exist_ok=True)
    shutil.copy2(ROOT / chapter, root / "student" / Path(chapter).name)

    assert _script(root, "--repo", "other/fork", "--ref", "v9.9").returncode == 0
    check = _script(root, "--check")
    assert check.returncode == 0, check.stdout
    t = sync.load_links(root)
    assert sync.read_source(root) == ("other/fork", "v9.9") and (t.REPO_SLUG, t.REF) == ("other/fork", "v9.9")
    everything = "".join(p.read_text(encoding="utf-8") for p in root.rglob("*") if p.is_file() and p.suffix in (".ipynb", ".md", ".py", ".toml"))
    assert "blob/main/" not in everything
    old = f"github.com/{SLUG}" if SLUG != "other/fork" else None
    assert old is None or old not in everything.replace("scripts/sync_links.py", ""), "an old link survived the sync"
    for nb in sorted(root.glob("*/*.ipynb")):
        rel = nb.relative_to(root).as_posix()
        title = "".join(json.loads(nb.read_text(encoding="utf-8"))["cells"][0]["source"])
        assert links.badge(rel, "other/fork", "v9.9") in title, rel
        first = _src(next(c for c in json.loads(nb.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"))
        assert first == links.setup_cell(nb.name[:2], "other/fork", "v9.9")
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert "github/other/fork/blob/v9.9/chapters/" in readme
    template = (root / "templates" / "chapter_template.py").read_text(encoding="utf-8")
    assert links.setup_cell("NN", "other/fork", "v9.9") in template
    # idempotent: a second sync changes nothing
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    assert _script(root).returncode == 0
    assert before == {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_check_lists_every_disagreement(tmp_path):
    root = _copy(tmp_path)
    assert _script(root).returncode == 0  # in step with pyproject, whatever the repository's state
    nb = next(root.glob("chapters/01_*.ipynb"))
    data = json.loads(nb.read_text(encoding="utf-8"))
    data["cells"][0]["source"] = [s.replace(f"/blob/{REF}/", "/blob/main/") for s in data["cells"][0]["source"]]
    code = next(c for c in data["cells"] if c["cell_type"] == "code")
    code["source"] = [s.replace(f"@{REF}", "@v0.0.1") for s in code["source"]]
    nb.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    readme = root / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8").replace(f"/blob/{REF}/chapters/02_", "/blob/main/chapters/02_"),
                      encoding="utf-8")
    check = _script(root, "--check")
    assert check.returncode == 1
    bad = [line for line in check.stdout.splitlines() if ": " in line and "disagreement" not in line]
    assert any(nb.name in line and "badge" in line for line in bad), check.stdout
    assert any(nb.name in line and "first code cell" in line and "v0.0.1" in line for line in bad), check.stdout
    assert any(line.startswith("README.md") and "02_" in line for line in bad), check.stdout
    assert "3 disagreement(s)" in check.stdout, check.stdout
