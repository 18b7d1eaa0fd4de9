#!/usr/bin/env python3
"""Student copies of the chapters: ``student/NN_*.ipynb``, the solutions removed, the exercises empty.

An exercise in a chapter is a pair of code cells: the **exercise** cell (``answer = None`` and a
``ch.check_...(answer)`` call, which prints "not attempted yet" for ``None``) and, right after it, the **solution**
cell, whose source starts with ``# Solution``. In the chapter the cells carry the cell tags ``exercise`` and
``solution`` (``--tag`` writes them; ``tests/test_student.py`` checks that none is missing).

A student copy is its chapter with

* every solution cell removed (tagged ``solution``, or starting with ``# Solution``);
* the outputs and execution counts of the exercise cells cleared;
* every other cell as committed, outputs included (the real results of the committed run stay readable);
* a short markdown note after the title cell, and the title cell's Colab badge opening the student copy itself
  (``scripts/sync_links.py`` writes the badge; the first code cell stays the chapter's own);
* ``"student_copy": true`` in the notebook's ``course`` metadata.

Usage::

    python scripts/build_student.py                        # (re)write student/ from chapters/
    python scripts/build_student.py --check                # exit 1 listing every stale, missing or orphan copy
    python scripts/build_student.py --tag [CHAPTER ...]    # tag exercise/solution cells in chapters (default: all)

``--tag`` changes only cell metadata (it adds the tags) and leaves every other byte of the file as it was.
"""
from __future__ import annotations

import argparse
import ast
import copy
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
import sync_links as links_sync  # noqa: E402  (the badge logic lives there; scripts/ is not a package)

CHAPTERS = "chapters"
STUDENT = "student"
SOLUTION_TAG = "solution"
EXERCISE_TAG = "exercise"
NOTE_ID = "student-copy-note"
MIN_LEAK_LINE = 20  # solution lines at least this long (stripped, not comments) must not appear in a student copy


def _source(cell) -> str:
    return links_sync._source(cell)


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def is_solution_source(cell) -> bool:
    return cell.get("cell_type") == "code" and _source(cell).lstrip().startswith("# Solution")


def exercise_pairs(nb) -> tuple[list[int], list[int]]:
    """(exercise cell indices, solution cell indices) of a notebook.

    Solutions: code cells tagged ``solution`` or starting with ``# Solution``. Exercises: cells tagged
    ``exercise``, and for each solution the nearest code cell before it that is not a solution itself."""
    cells = nb.get("cells", [])
    solutions = [i for i, c in enumerate(cells) if SOLUTION_TAG in _tags(c) or is_solution_source(c)]
    exercises = {i for i, c in enumerate(cells) if EXERCISE_TAG in _tags(c)}
    for s in solutions:
        prev = [i for i in range(s) if cells[i].get("cell_type") == "code"]
        if prev and prev[-1] not in solutions:
            exercises.add(prev[-1])
    return sorted(exercises), solutions


# ---------------------------------------------------------------------------------------------- --tag
def tag_notebook(nb) -> list[str]:
    """Add the ``solution`` / ``exercise`` tags in place; return what was added (empty: already tagged)."""
    cells = nb.get("cells", [])
    added = []
    solutions = [i for i, c in enumerate(cells) if is_solution_source(c)]
    for s in solutions:
        prev = [i for i in range(s) if cells[i].get("cell_type") == "code"]
        if not prev or prev[-1] in solutions or "check_" not in _source(cells[prev[-1]]):
            raise ValueError(f"cell {s} ({cells[s].get('id')}) is a '# Solution' cell without an exercise cell "
                             "(a code cell calling a ch.check_... function) right before it")
        for i, tag in ((prev[-1], EXERCISE_TAG), (s, SOLUTION_TAG)):
            meta = cells[i].setdefault("metadata", {})
            if tag not in meta.get("tags", []):
                meta["tags"] = [*meta.get("tags", []), tag]
                added.append(f"cell {i} ({cells[i].get('id')}): {tag}")
    return added


def tag_file(path: Path) -> list[str]:
    raw = path.read_text(encoding="utf-8")
    nb = json.loads(raw)
    added = tag_notebook(nb)
    if added:
        path.write_text(links_sync._dump(nb), encoding="utf-8")
    return added


# ---------------------------------------------------------------------------------------------- building
def note_cell(chapter_rel: str) -> dict:
    name = Path(chapter_rel).name
    text = ("> **Student copy.** The solutions are removed and the exercise cells are empty: fill in each exercise "
            "cell (replace its `None`), run it, and its check tells you whether you got it. Every other cell shows "
            "the results of the committed run, so you can read ahead before running anything. The full chapter, "
            f"with the solutions, is [`{chapter_rel}`](../{CHAPTERS}/{name}).")
    return {"cell_type": "markdown", "id": NOTE_ID, "metadata": {}, "source": [text]}


def build_student_notebook(nb: dict, chapter_rel: str, badge: str) -> dict:
    """The student copy of notebook `nb` (a chapter's JSON), whose badge is `badge`; `nb` is left unchanged."""
    exercises, solutions = exercise_pairs(nb)
    out = copy.deepcopy(nb)
    cells = out["cells"]
    for i in exercises:
        if cells[i].get("cell_type") == "code":
            cells[i]["outputs"] = []
            cells[i]["execution_count"] = None
    cells = [c for i, c in enumerate(cells) if i not in set(solutions)]
    problems: list[str] = []
    links_sync.sync_title_badge(cells, f"{STUDENT}/{Path(chapter_rel).name}", badge, problems)
    cells.insert(1, note_cell(chapter_rel))
    out["cells"] = cells
    course = out.setdefault("metadata", {}).get("course", {})
    out["metadata"]["course"] = {**course, "student_copy": True, "full_chapter": chapter_rel}
    leaks = solution_leaks(nb, out)
    if leaks:
        raise ValueError(f"{chapter_rel}: the student copy would still show solution lines: {leaks[:3]}")
    return out


def solution_lines(nb: dict) -> set[str]:
    """The non-trivial source lines of the solution cells (stripped; comments left out) that no other cell of the
    chapter shows in its source (an exercise cell's hint may name the function to write, e.g. `def f(x):`)."""
    cells = nb.get("cells", [])
    _, solutions = exercise_pairs(nb)
    public = "\n".join(_source(c) for i, c in enumerate(cells) if i not in solutions)
    lines = set()
    for i in solutions:
        for line in _source(cells[i]).splitlines():
            s = line.strip()
            if len(s) >= MIN_LEAK_LINE and not s.startswith("#") and s not in public:
                lines.add(s)
    return lines


def _strings(obj):
    """Every string in a JSON value: sources, outputs of every mime type, metadata."""
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, list):
        for x in obj:
            yield from _strings(x)
    elif isinstance(obj, dict):
        for key, value in obj.items():
            yield key
            yield from _strings(value)


def solution_leaks(chapter: dict, student: dict) -> list[str]:
    """Solution lines of `chapter` found anywhere in `student` (sources, outputs, metadata)."""
    text = "\n".join(_strings(student))
    return sorted(s for s in solution_lines(chapter) if s in text)


def chapter_paths(root: Path) -> list[Path]:
    return sorted(p for p in (root / CHAPTERS).glob("*.ipynb") if links_sync.CHAPTER_RE.match(p.name))


def expected(root: Path) -> dict[Path, str]:
    """{student copy path: the JSON text it should hold} for every chapter under `root`."""
    slug, ref = links_sync.read_source(root)
    links = links_sync.load_links(root)
    out = {}
    for chapter in chapter_paths(root):
        rel = chapter.relative_to(root).as_posix()
        nb = json.loads(chapter.read_text(encoding="utf-8"))
        student = build_student_notebook(nb, rel, links.badge(f"{STUDENT}/{chapter.name}", slug, ref))
        out[root / STUDENT / chapter.name] = links_sync._dump(student)
    return out


def stale(root: Path) -> list[str]:
    """One line for every student copy that is missing, out of date, or has no chapter."""
    want = expected(root)
    problems = []
    for path, text in want.items():
        rel = path.relative_to(root).as_posix()
        if not path.is_file():
            problems.append(f"{rel}: missing")
        elif path.read_text(encoding="utf-8") != text:
            problems.append(f"{rel}: out of date with {CHAPTERS}/{path.name}")
    for path in sorted((root / STUDENT).glob("*.ipynb")) if (root / STUDENT).is_dir() else []:
        if path not in want:
            problems.append(f"{path.relative_to(root).as_posix()}: no chapter {CHAPTERS}/{path.name}")
    return problems


def build(root: Path) -> list[str]:
    """Write every student copy; remove the copies of chapters that no longer exist. Return what changed."""
    want = expected(root)
    (root / STUDENT).mkdir(exist_ok=True)
    changed = []
    for path, text in want.items():
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(path.relative_to(root).as_posix())
    for path in sorted((root / STUDENT).glob("*.ipynb")):
        if path not in want and links_sync.CHAPTER_RE.match(path.name):
            path.unlink()
            changed.append(f"{path.relative_to(root).as_posix()} (removed: no chapter)")
    return changed


# ---------------------------------------------------------------------------------------------- dependencies
def _clean(src: str) -> str:
    """Cell source without IPython magics and shell lines, so that `ast` can parse it."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in src.splitlines())


def _top_level_bindings(tree: ast.AST) -> set[str]:
    """Names a cell binds at module level (not inside functions, classes, lambdas or comprehensions)."""
    names: set[str] = set()

    def visit(node):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            return
        if isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            return
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return names


def solution_only_names(nb: dict) -> list[tuple[int, list[str]]]:
    """[(cell index, names)]: non-solution code cells that read a name whose latest definition before them is in a
    solution cell.

    In the student copy, where the solutions are gone, such a cell fails (NameError) or silently gets another value
    (e.g. the exercise's stub, `def f(x): return None`, that the solution redefined)."""
    cells = nb.get("cells", [])
    _, solutions = exercise_pairs(nb)
    from_solutions: set[str] = set()
    found = []
    for i, c in enumerate(cells):
        if c.get("cell_type") != "code":
            continue
        tree = ast.parse(_clean(_source(c)))
        bound = _top_level_bindings(tree)
        if i in solutions:
            from_solutions |= bound
            continue
        local = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        local |= {n.arg for n in ast.walk(tree) if isinstance(n, ast.arg)}
        local |= {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
        used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        missing = sorted((used & from_solutions) - local)
        if missing:
            found.append((i, missing))
        from_solutions -= bound
    return found


# ---------------------------------------------------------------------------------------------- main
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="write nothing; list stale copies and exit 1 if any")
    mode.add_argument("--tag", nargs="*", metavar="CHAPTER", type=Path,
                      help="tag the exercise/solution cells of these chapter notebooks in place (default: every chapter)")
    ap.add_argument("--root", type=Path, default=ROOT, help="repository root (default: this checkout)")
    args = ap.parse_args(argv)
    root = args.root.resolve()
    if not (root / CHAPTERS).is_dir():
        ap.error(f"no {CHAPTERS}/ folder in {root}")
    if args.tag is not None:
        paths = args.tag or chapter_paths(root)
        for path in paths:
            if path.suffix != ".ipynb" or not path.is_file():
                ap.error(f"--tag takes chapter notebooks; {str(path)!r} is not an .ipynb file")
        for path in paths:
            try:
                added = tag_file(path)
            except ValueError as exc:
                print(f"{path}: {exc}", file=sys.stderr)
                return 1
            print(f"{path}: " + (f"tagged {len(added)} cell(s)" if added else "already tagged"))
        return 0
    try:
        if args.check:
            problems = stale(root)
            for p in problems:
                print(p)
            print(f"{len(problems)} student cop(ies) to rebuild: run `python scripts/build_student.py`" if problems
                  else "every student copy is up to date")
            return 1 if problems else 0
        changed = build(root)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 1
    for chapter in chapter_paths(root):
        nb = json.loads(chapter.read_text(encoding="utf-8"))
        untagged = [i for i in exercise_pairs(nb)[1] if SOLUTION_TAG not in _tags(nb["cells"][i])]
        if untagged:
            print(f"note: {chapter.relative_to(root).as_posix()} has {len(untagged)} untagged '# Solution' cell(s); "
                  f"run `python scripts/build_student.py --tag {chapter.relative_to(root).as_posix()}`, then build again")
        for i, names in solution_only_names(nb):
            print(f"warning: {chapter.relative_to(root).as_posix()} cell {i} reads {', '.join(names)}, last defined in "
                  "a solution cell: the student copy has no solutions, so that cell fails or reads another value there")
    print("student copies: " + (", ".join(changed) if changed else "nothing to change"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
