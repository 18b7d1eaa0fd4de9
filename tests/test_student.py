"""The student copies (student/NN_*.ipynb, written by scripts/build_student.py): up to date, no solution left.

Offline, seconds. The copies themselves also run under nbval (pyproject's testpaths), where every unanswered
exercise prints "not attempted yet".
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
SCRIPT = ROOT / "scripts" / "build_student.py"



build = load_script("build_student")
sync = load_script("sync_links", "_sync_links_for_student")
links = sync.load_links(ROOT)
SLUG, REF = sync.read_source(ROOT)
CHAPTERS = sorted(p for p in (ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))


def _nb(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _src(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _tags(cell) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def _is_solution(cell) -> bool:
    return cell["cell_type"] == "code" and _src(cell).lstrip().startswith("# Solution")




def _student(chapter: Path) -> Path:
    return ROOT / "student" / chapter.name


def _script(*args, root: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(root / "scripts" / "build_student.py"), *args],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_there_are_chapters():
    assert CHAPTERS


# (a) ---------------------------------------------------------------------------------------------------------
def test_check_passes_on_the_repository():
    proc = _script("--check")
    assert proc.returncode == 0, f"stale student copies; run `python scripts/build_student.py`:\n{proc.stdout}"


# (c) ---------------------------------------------------------------------------------------------------------
def test_every_chapter_has_a_student_copy_and_nothing_else():
    assert sorted(p.name for p in (ROOT / "student").glob("*.ipynb")) == [p.name for p in CHAPTERS]


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_exercise_cells_are_empty_and_the_rest_keeps_its_outputs(chapter):
    ch, st = _nb(chapter), _nb(_student(chapter))
    solutions = [i for i, c in enumerate(ch["cells"]) if _is_solution(c) or "solution" in _tags(c)]
    exercise_ids = {[c for c in ch["cells"][:i] if c["cell_type"] == "code"][-1]["id"] for i in solutions}
    exercise_ids |= {c["id"] for c in ch["cells"] if "exercise" in _tags(c)}  # open exercises have no solution cell
    assert exercise_ids, "every chapter has exercises"
    by_id = {c["id"]: c for c in st["cells"]}
    for cid in exercise_ids:
        assert by_id[cid]["outputs"] == [] and by_id[cid]["execution_count"] is None, f"exercise cell {cid} keeps output"
    for c in st["cells"]:
        if "exercise" in _tags(c):
            assert c["outputs"] == [], f"cell {c['id']} is tagged exercise but has outputs"
    # every other cell is the chapter's own, outputs included; only the note cell is new
    kept = [c for i, c in enumerate(ch["cells"]) if i not in solutions and c["id"] not in exercise_ids]
    assert [c for c in st["cells"] if c["id"] not in exercise_ids][2:] == kept[1:], "cells other than title/exercises differ"
    assert [c["id"] for c in st["cells"]] == [ch["cells"][0]["id"], build.NOTE_ID] + [
        c["id"] for i, c in enumerate(ch["cells"]) if i not in solutions][1:]
    assert st["metadata"]["course"]["student_copy"] is True
    assert {k: v for k, v in st["metadata"]["course"].items() if k not in ("student_copy", "full_chapter")} == \
        ch["metadata"].get("course", {}), "the chapter's course metadata is kept"


# (b) ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_no_solution_left(chapter):
    ch, st = _nb(chapter), _nb(_student(chapter))
    assert not [c["id"] for c in st["cells"] if "solution" in _tags(c) or _is_solution(c)]
    assert "# Solution" not in "\n".join(_src(c) for c in st["cells"])
    # no non-trivial solution line (other than a line the chapter shows outside its solutions too, e.g. the
    # `def f(x):` an exercise cell asks for) appears anywhere: in a source, an output or the metadata
    solution_cells = [c for c in ch["cells"] if _is_solution(c) or "solution" in _tags(c)]
    public = "\n".join(_src(c) for c in ch["cells"] if c not in solution_cells)
    lines = {s for c in solution_cells for s in (line.strip() for line in _src(c).splitlines())
             if len(s) > 20 and not s.startswith("#") and s not in public}
    assert lines, "the solutions have lines to look for"
    text = "\n".join(build._strings(st))
    leaked = sorted(s for s in lines if s in text)
    assert not leaked, f"solution lines in the student copy: {leaked}"


# (d) ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_badge_opens_the_student_copy(chapter):
    st = _nb(_student(chapter))
    rel = f"student/{chapter.name}"
    badges = [m for c in st["cells"] if c["cell_type"] == "markdown" for m in sync.BADGE_RE.finditer(_src(c))]
    assert [b.group("path") for b in badges] == [rel]
    assert badges[0].group(0) == links.badge(rel, SLUG, REF) and badges[0].group(0) in _src(st["cells"][0])
    problems: list[str] = []
    sync.sync_notebook(_student(chapter), rel, links, SLUG, REF, problems)
    assert problems == []


# (e) ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_first_code_cell_is_the_chapters(chapter):
    first = [next(c for c in _nb(p)["cells"] if c["cell_type"] == "code") for p in (chapter, _student(chapter))]
    assert first[0] == first[1]


# (f) ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_every_solution_cell_is_tagged(chapter):
    cells = _nb(chapter)["cells"]
    missing = []
    for i, c in enumerate(cells):
        if _is_solution(c):
            exercise = [x for x in cells[:i] if x["cell_type"] == "code"][-1]
            if "solution" not in _tags(c):
                missing.append(f"{c['id']} (solution)")
            if "exercise" not in _tags(exercise):
                missing.append(f"{exercise['id']} (exercise)")
    assert not missing, (f"untagged cells {missing}: run `python scripts/build_student.py --tag chapters/{chapter.name}` "
                         "then `python scripts/build_student.py`")


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_no_cell_needs_a_name_only_a_solution_defines(chapter):
    assert build.solution_only_names(_nb(chapter)) == [], "these cells fail in the student copy (NameError)"


# (g) ---------------------------------------------------------------------------------------------------------
def _cell(kind, source, cid, outputs=None, **meta):
    c = {"cell_type": kind, "id": cid, "metadata": dict(meta), "source": source.splitlines(keepends=True)}
    if kind == "code":
        c["execution_count"] = 1
        c["outputs"] = outputs if outputs is not None else []
    return c


def _out(text):
    return [{"name": "stdout", "output_type": "stream", "text": [text]}]


def _tiny(root: Path) -> Path:
    """A repository with one synthetic chapter: a title, a setup cell, one exercise + solution, a later cell."""
    for rel in ["pyproject.toml", "course_utils/links.py", "scripts/sync_links.py", "scripts/build_student.py"]:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, root / rel)
    badge = links.badge("chapters/07_tiny.ipynb", SLUG, REF)
    nb = {"cells": [
        _cell("markdown", f"# Chapter 07 — Tiny\n\n{badge}\n\nObjectives.", "title"),
        _cell("code", links.setup_cell("07", SLUG, REF), "setup", _out("Chapter 07 | cpu\n")),
        _cell("code", "values = [1, 2, 3]\nprint(sum(values))", "work", _out("6\n")),
        _cell("markdown", "**Exercise 7.1** Double every value. Hint: a list comprehension.", "hint"),
        _cell("code", "answer = None  # def double(xs): ...\nch.check_double(answer)", "ex",
              _out("[..] Exercise 7.1: not attempted yet\n")),
        _cell("code", "# Solution\ndef doubled_solution(xs):\n    return [2 * x for x in xs]  # each value twice\n"
                      "assert ch.check_double(doubled_solution)", "sol", _out("[ok] Exercise 7.1: correct!\n"),
              jupyter={"source_hidden": True}),
        _cell("code", "print(len(values))", "later", _out("3\n")),
    ], "metadata": {"course": {"executed_profile": "cpu"}, "kernelspec": {"name": "python3"}},
        "nbformat": 4, "nbformat_minor": 5}
    path = root / "chapters" / "07_tiny.ipynb"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def test_tag_changes_only_metadata_and_is_idempotent(tmp_path):
    path = _tiny(tmp_path)
    before = path.read_text(encoding="utf-8")
    proc = _script("--root", str(tmp_path), "--tag", str(path), root=tmp_path)
    assert proc.returncode == 0 and "tagged 2 cell(s)" in proc.stdout, proc.stdout
    after = path.read_text(encoding="utf-8")
    nb = _nb(path)
    assert [(c["id"], _tags(c)) for c in nb["cells"] if _tags(c)] == [("ex", ["exercise"]), ("sol", ["solution"])]
    assert nb["cells"][5]["metadata"] == {"jupyter": {"source_hidden": True}, "tags": ["solution"]}
    for c in nb["cells"]:
        c["metadata"].pop("tags", None)
    assert json.dumps(nb, indent=1, ensure_ascii=False) + "\n" == before, "only the tags were added"
    assert after.endswith("}\n") and '\n "cells": [\n' in after  # indent=1, trailing newline
    proc = _script("--tag", str(path), root=tmp_path)
    assert proc.returncode == 0 and "already tagged" in proc.stdout
    assert path.read_text(encoding="utf-8") == after


def test_tag_refuses_a_solution_without_an_exercise(tmp_path):
    path = _tiny(tmp_path)
    nb = _nb(path)
    del nb["cells"][4]  # the exercise cell; the cell before the solution no longer calls a check
    path.write_text(json.dumps(nb, indent=1) + "\n", encoding="utf-8")
    proc = _script("--tag", str(path), root=tmp_path)
    assert proc.returncode == 1 and "without an exercise cell" in proc.stdout, proc.stdout
    bad = _script("--tag", str(tmp_path / "nope.ipynb"), root=tmp_path)
    assert bad.returncode == 2 and "is not an .ipynb file" in bad.stdout, bad.stdout


def test_build_on_a_tiny_chapter(tmp_path):
    chapter = _tiny(tmp_path)
    assert _script("--tag", root=tmp_path).returncode == 0  # no files: every chapter
    check = _script("--check", root=tmp_path)
    assert check.returncode == 1 and "student/07_tiny.ipynb: missing" in check.stdout, check.stdout
    proc = _script(root=tmp_path)
    assert proc.returncode == 0 and "student/07_tiny.ipynb" in proc.stdout, proc.stdout
    st = _nb(tmp_path / "student" / "07_tiny.ipynb")
    ids = [c["id"] for c in st["cells"]]
    assert ids == ["title", build.NOTE_ID, "setup", "work", "hint", "ex", "later"]
    cells = {c["id"]: c for c in st["cells"]}
    assert cells["ex"]["outputs"] == [] and cells["ex"]["execution_count"] is None
    assert cells["work"]["outputs"] == _out("6\n") and cells["later"]["outputs"] == _out("3\n")
    assert "doubled_solution" not in json.dumps(st) and "# Solution" not in json.dumps(st)
    assert links.badge("student/07_tiny.ipynb", SLUG, REF) in _src(cells["title"])
    assert "chapters/07_tiny.ipynb" in _src(cells[build.NOTE_ID]) and "badge" not in _src(cells[build.NOTE_ID])
    assert cells["setup"] == _nb(chapter)["cells"][1]
    assert st["metadata"]["course"] == {"executed_profile": "cpu", "student_copy": True,
                                        "full_chapter": "chapters/07_tiny.ipynb"}
    assert _script("--check", root=tmp_path).returncode == 0
    # idempotent, and a change to the chapter makes the copy stale
    before = (tmp_path / "student" / "07_tiny.ipynb").read_bytes()
    assert "nothing to change" in _script(root=tmp_path).stdout
    assert (tmp_path / "student" / "07_tiny.ipynb").read_bytes() == before
    chapter.write_text(chapter.read_text(encoding="utf-8").replace("print(sum(values))", "print(max(values))"),
                       encoding="utf-8")
    check = _script("--check", root=tmp_path)
    assert check.returncode == 1 and "student/07_tiny.ipynb: out of date" in check.stdout, check.stdout
    # a copy without a chapter is listed (and removed by a build)
    shutil.copy2(tmp_path / "student" / "07_tiny.ipynb", tmp_path / "student" / "08_gone.ipynb")
    check = _script("--check", root=tmp_path)
    assert "student/08_gone.ipynb: no chapter" in check.stdout and "2 student cop" in check.stdout, check.stdout
    assert _script(root=tmp_path).returncode == 0 and not (tmp_path / "student" / "08_gone.ipynb").exists()


def test_build_refuses_to_leak_a_solution_through_another_cell(tmp_path):
    chapter = _tiny(tmp_path)
    nb = _nb(chapter)
    # a later cell's output shows a solution line: the student copy would give the answer away
    nb["cells"][6]["outputs"] = _out("    return [2 * x for x in xs]  # each value twice\n")
    chapter.write_text(json.dumps(nb, indent=1) + "\n", encoding="utf-8")
    proc = _script(root=tmp_path)
    assert proc.returncode == 1 and "would still show solution lines" in proc.stdout, proc.stdout
    assert not (tmp_path / "student" / "07_tiny.ipynb").exists()


def test_names_a_solution_defines_are_found():
    nb = {"cells": [
        _cell("code", "x = 1", "a"),
        _cell("code", "def f(y):\n    return None  # your code here\nch.check_it(f)", "ex"),
        _cell("code", "# Solution\nhelper = x + 1\ndef f(y):\n    local = y\n    return local\n"
                      "assert ch.check_it(f)", "sol"),
        _cell("code", "print(helper, x)\n%time g(2)", "uses"),  # helper: only the solution defines it
        _cell("code", "local = 3\nprint(local)", "own"),  # `local` is f's, not a global: fine
        _cell("code", "print(f(2))", "stub"),  # the student copy would call the exercise's stub
        _cell("code", "helper = 5\nprint(helper)", "redefines"),
        _cell("code", "print(helper)", "after"),
    ]}
    assert build.solution_only_names(nb) == [(3, ["helper"]), (5, ["f"])]
