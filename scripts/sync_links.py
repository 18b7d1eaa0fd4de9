#!/usr/bin/env python3
"""Keep every link to the course's online home in step with one source of truth.

The repository and the ref (tag or branch) live in ``pyproject.toml``: ``[project.urls] Repository`` and
``[tool.course] ref``. From them this script writes

* the Colab badge in the first (markdown) cell of every notebook under ``chapters/`` and ``student/``
  (each badge opens that very notebook, at the ref);
* the first code cell of every ``NN_*.ipynb`` notebook (the setup cell, which in Colab installs the package at
  the SAME ref: a notebook opened at a tag installs the package of that tag);
* ``course_utils/links.py`` (the copy of repository and ref that travels with the installed package);
* ``templates/chapter_template.py`` (badge and setup cell);
* ``README.md`` and ``CONTRIBUTING.md``: every Colab badge URL, every ``bow-to-bert @ git+...`` install spec and
  the setup-cell code block (``--check`` also wants a README badge for every chapter and every student copy).

The student copies themselves are written by ``scripts/build_student.py``, which takes its badges from here.

Usage::

    python scripts/sync_links.py --repo OWNER/NAME --ref REF   # set pyproject, then rewrite everything
    python scripts/sync_links.py                               # rewrite everything from pyproject
    python scripts/sync_links.py --check                       # list every disagreement; exit 1 if any

Only the lines above are touched; notebooks keep their outputs and their JSON layout (nbformat's).
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import re
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = None

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIRS = ("chapters", "student")
DOCS = ("README.md", "CONTRIBUTING.md")
TEMPLATE = "templates/chapter_template.py"
LINKS = "course_utils/links.py"
TEMPLATE_PATH = "chapters/NN_name.ipynb"  # the badge path the template shows

SLUG_RE = r"[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*"
REF_RE = r"[A-Za-z0-9][A-Za-z0-9_./+-]*?"
BADGE_RE = re.compile(
    r"\[!\[Open In Colab\]\(https://colab\.research\.google\.com/assets/colab-badge\.svg\)\]"
    r"\(https://colab\.research\.google\.com/github/(?P<slug>" + SLUG_RE + r")/blob/(?P<ref>" + REF_RE + r")/"
    r"(?P<path>[^)\s]+\.ipynb)\)"
)
SPEC_RE = re.compile(r"bow-to-bert @ git\+https://github\.com/(?P<slug>" + SLUG_RE + r")@(?P<ref>[^\s\"'`)]+)")
CHAPTER_RE = re.compile(r"^(\d\d)_.*\.ipynb$")


def load_links(root: Path):
    """course_utils/links.py of `root`, loaded by path (importing course_utils would pull in torch)."""
    spec = importlib.util.spec_from_file_location("_course_links", root / LINKS)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# ---------------------------------------------------------------------------------------------- pyproject
def read_source(root: Path) -> tuple[str, str]:
    """(slug, ref) from pyproject.toml."""
    text = (root / "pyproject.toml").read_text(encoding="utf-8")
    if tomllib is not None:
        data = tomllib.loads(text)
        url = data.get("project", {}).get("urls", {}).get("Repository")
        ref = data.get("tool", {}).get("course", {}).get("ref")
    else:  # pragma: no cover
        m_url = re.search(r'^Repository\s*=\s*"([^"]+)"', text, re.M)
        m_ref = re.search(r'^\[tool\.course\][^\[]*?^ref\s*=\s*"([^"]+)"', text, re.M | re.S)
        url, ref = m_url and m_url.group(1), m_ref and m_ref.group(1)
    if not url or not ref:
        sys.exit("pyproject.toml needs [project.urls] Repository = \"https://github.com/OWNER/NAME\" and [tool.course] ref")
    m = re.fullmatch(r"https://github\.com/(" + SLUG_RE + r")/?", url)
    if not m:
        sys.exit(f"[project.urls] Repository must be https://github.com/OWNER/NAME, not {url!r}")
    return m.group(1).removesuffix(".git"), ref


def write_source(root: Path, slug: str, ref: str) -> None:
    path = root / "pyproject.toml"
    text = path.read_text(encoding="utf-8")
    text, n_url = re.subn(r'^(Repository\s*=\s*)"[^"]*"', rf'\g<1>"https://github.com/{slug}"', text, count=1, flags=re.M)
    text, n_ref = re.subn(r'(^\[tool\.course\][^\[]*?^ref\s*=\s*)"[^"]*"', rf'\g<1>"{ref}"', text, count=1,
                          flags=re.M | re.S)
    if not (n_url and n_ref):
        sys.exit("pyproject.toml: [project.urls] Repository or [tool.course] ref not found; add them first")
    path.write_text(text, encoding="utf-8")


# ---------------------------------------------------------------------------------------------- notebooks
def notebooks(root: Path) -> list[Path]:
    found = []
    for d in NOTEBOOK_DIRS:
        if (root / d).is_dir():
            found += [p for p in (root / d).rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts]
    return sorted(found)


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _set_source(cell, text: str) -> None:
    cell["source"] = text.splitlines(keepends=True)


def _dump(nb) -> str:
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"  # nbformat's layout: unchanged files stay identical


def sync_title_badge(cells: list, rel: str, want_badge: str, problems: list[str]) -> None:
    """Make the title cell (the first cell, markdown) hold exactly one Colab badge, `want_badge`; append what was
    wrong to `problems`. Changes `cells` in place. scripts/build_student.py uses it for the student copies."""
    n_badges = sum(len(BADGE_RE.findall(_source(c))) for c in cells if c.get("cell_type") == "markdown")
    if not cells or cells[0].get("cell_type") != "markdown":
        problems.append(f"{rel}: the first cell is not a markdown title cell (it must hold the Colab badge)")
    else:
        title = _source(cells[0])
        found = [m.group(0) for m in BADGE_RE.finditer(title)]
        if n_badges != 1 or len(found) != 1:
            problems.append(f"{rel}: {n_badges} Colab badges ({len(found)} in the title cell); want exactly one, in the title cell")
        if found != [want_badge]:
            for f in found:
                if f != want_badge:
                    problems.append(f"{rel}: badge {f} should be {want_badge}")
            if found:  # the first badge becomes the right one; extra badges in the title cell go
                seen = []
                title = BADGE_RE.sub(lambda m: "" if seen else (seen.append(1) or want_badge), title)
            else:  # no badge yet: put it after the title line
                head, sep, rest = title.partition("\n")
                title = f"{head}\n\n{want_badge}\n{sep}{rest}" if sep else f"{head}\n\n{want_badge}"
            _set_source(cells[0], title)


def sync_notebook(path: Path, rel: str, links, slug: str, ref: str, problems: list[str]) -> str | None:
    """Return the new JSON text (None when unchanged); append what disagrees to `problems`."""
    raw = path.read_text(encoding="utf-8")
    nb = json.loads(raw)
    cells = nb.get("cells", [])
    sync_title_badge(cells, rel, links.badge(rel, slug, ref), problems)
    m = CHAPTER_RE.match(path.name)
    if m:
        code = [c for c in cells if c.get("cell_type") == "code"]
        want_cell = links.setup_cell(m.group(1), slug, ref)
        if not code or "course_utils" not in _source(code[0]):
            problems.append(f"{rel}: the first code cell is not the setup cell (`import course_utils as cu` ...)")
        elif _source(code[0]) != want_cell:
            old = SPEC_RE.search(_source(code[0]))
            what = f" (it installs {old.group(0)!r})" if old and old.group(0) != links.pip_spec(slug, ref) else ""
            problems.append(f"{rel}: the first code cell differs from the generated setup cell{what}")
            _set_source(code[0], want_cell)
    new = _dump(nb)
    return None if new == raw else new


# ---------------------------------------------------------------------------------------------- text files
def _doc_path_ok(root: Path, path: str) -> bool:
    return (root / path).is_file()


def sync_doc(root: Path, rel: str, links, slug: str, ref: str, problems: list[str]) -> str | None:
    path = root / rel
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")

    def badge(m):
        want = links.badge(m.group("path"), slug, ref)
        if m.group(0) != want:
            problems.append(f"{rel}: badge for {m.group('path')} points at {m.group('slug')}@{m.group('ref')}; want {slug}@{ref}")
        if "NN_" not in m.group("path") and not _doc_path_ok(root, m.group("path")):
            problems.append(f"{rel}: badge points at {m.group('path')}, which does not exist")
        return want

    def spec(m):
        want = links.pip_spec(slug, ref)
        if m.group(0) != want:
            problems.append(f"{rel}: install spec {m.group(0)!r}; want {want!r}")
        return want

    new = SPEC_RE.sub(spec, BADGE_RE.sub(badge, text))

    # The setup cell shown in a fenced code block (CONTRIBUTING.md): replace it whole, keeping its indentation.
    def block(m):
        indent, body = m.group("indent"), m.group("body")
        chap = re.search(r'cu\.setup\(chapter="([^"]+)"\)', body)
        want_lines = links.setup_cell(chap.group(1), slug, ref).splitlines()
        want = "\n".join((indent + line) if line else "" for line in want_lines) + "\n"
        if body != want:
            problems.append(f"{rel}: the setup-cell code block differs from the generated setup cell")
        return f"{m.group('open')}{want}{indent}```"

    new = re.sub(r"(?P<open>(?P<indent>[ \t]*)```python\n)(?P<body>(?:(?!```)[\s\S])*?cu\.setup\(chapter=[\s\S]*?\n)(?P=indent)```",
                 block, new)
    if rel == "README.md":  # the chapter table: a badge for each chapter notebook and for its student copy
        for nb in notebooks(root):
            nrel = nb.relative_to(root).as_posix()
            if CHAPTER_RE.match(nb.name) and links.colab_url(nrel, slug, ref) not in new:
                problems.append(f"{rel}: the chapter table has no Colab badge for {nrel}")
    return None if new == text else new


def sync_template(root: Path, links, slug: str, ref: str, problems: list[str]) -> str | None:
    path = root / TEMPLATE
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    want_badge = links.badge(TEMPLATE_PATH, slug, ref)
    found = BADGE_RE.findall(text)
    if len(found) != 1:
        problems.append(f"{TEMPLATE}: {len(found)} Colab badges; want exactly one")
    new = BADGE_RE.sub(lambda m: want_badge, text)
    if new != text:
        problems.append(f"{TEMPLATE}: badge should be {want_badge}")
    # The first code cell: from the first bare "# %%" line to the next cell marker.
    m = re.search(r"^# %%\n(?P<body>[\s\S]*?)\n(?=# %%)", new, re.M)
    want_cell = links.setup_cell("NN", slug, ref) + "\n"
    if not m:
        problems.append(f"{TEMPLATE}: no code cell found")
    elif m.group("body") != want_cell:
        problems.append(f"{TEMPLATE}: the first code cell differs from the generated setup cell")
        new = new[: m.start("body")] + want_cell + new[m.end("body"):]
    return None if new == text else new


def sync_links_module(root: Path, slug: str, ref: str, problems: list[str]) -> str | None:
    path = root / LINKS
    text = path.read_text(encoding="utf-8")
    new = re.sub(r'^REPO_SLUG = "[^"]*"', f'REPO_SLUG = "{slug}"', text, count=1, flags=re.M)
    new = re.sub(r'^REF = "[^"]*"', f'REF = "{ref}"', new, count=1, flags=re.M)
    if new != text:
        problems.append(f"{LINKS}: REPO_SLUG/REF should be {slug!r}/{ref!r}")
    return None if new == text else new


# ---------------------------------------------------------------------------------------------- main
def run(root: Path, check: bool, repo: str | None = None, ref: str | None = None) -> list[str]:
    if repo or ref:
        cur_slug, cur_ref = read_source(root)
        write_source(root, repo or cur_slug, ref or cur_ref)
    slug, ref = read_source(root)
    problems: list[str] = []
    changes: dict[Path, str] = {}
    new = sync_links_module(root, slug, ref, problems)
    if new is not None:
        changes[root / LINKS] = new
    links = load_links(root)  # the formats (badge, setup cell) come from links.py; slug/ref are passed in
    for nb in notebooks(root):
        new = sync_notebook(nb, nb.relative_to(root).as_posix(), links, slug, ref, problems)
        if new is not None:
            changes[nb] = new
    for rel in DOCS:
        new = sync_doc(root, rel, links, slug, ref, problems)
        if new is not None:
            changes[root / rel] = new
    new = sync_template(root, links, slug, ref, problems)
    if new is not None:
        changes[root / TEMPLATE] = new
    if not check:
        for path, text in changes.items():
            path.write_text(text, encoding="utf-8")
    return problems if check else [str(p.relative_to(root)) for p in changes]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repo", help="OWNER/NAME on GitHub (written to pyproject.toml)")
    ap.add_argument("--ref", help="tag or branch the badges open and the first cells install (written to pyproject.toml)")
    ap.add_argument("--check", action="store_true", help="change nothing; list every disagreement, exit 1 if any")
    ap.add_argument("--root", type=Path, default=ROOT, help="repository root (default: this checkout)")
    args = ap.parse_args(argv)
    root = args.root.resolve()
    if args.check and (args.repo or args.ref):
        ap.error("--check compares with pyproject.toml; give --repo/--ref without --check to change it")
    if args.repo and not re.fullmatch(SLUG_RE, args.repo):
        ap.error(f"--repo must be OWNER/NAME, not {args.repo!r}")
    if args.ref and not re.fullmatch(REF_RE, args.ref):
        ap.error(f"--ref must be a tag or branch name, not {args.ref!r}")
    out = run(root, args.check, args.repo, args.ref)
    slug, ref = read_source(root)
    if args.check:
        for p in out:
            print(p)
        print(f"{len(out)} disagreement(s) with pyproject.toml ({slug} @ {ref})" if out
              else f"all links agree with pyproject.toml ({slug} @ {ref})")
        return 1 if out else 0
    print(f"synced to {slug} @ {ref}: " + (", ".join(out) if out else "nothing to change"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
