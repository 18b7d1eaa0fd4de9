"""Issue #16, item 3: published (cited) numbers are never ranked with measured ones.

- ``cu.leaderboard()`` ranks measured rows only; ``cu.leaderboard(source="published")`` gives the cited numbers a
  table of their own; every table it returns has a ``source`` column; nothing else is accepted for ``source``.
- No committed notebook output shows a published row in the same table as measured rows. Tables are read from the
  outputs themselves: HTML tables (a DataFrame's ``text/html``) and fixed-width tables in text outputs (a printed
  ``DataFrame.to_string()``, or the ``text/plain`` of a DataFrame without HTML). A row is *published* when its
  ``source`` cell says so, or when it names an experiment or model that the committed results store
  (``results/results.csv``) holds only as published; *measured* likewise.

Offline, seconds. ``check_notebook`` is also what the report of issue #16 ran on the old chapter 06
(``git show HEAD~:chapters/06_bert_variants.ipynb``).
"""
from __future__ import annotations

import csv
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

import course_utils as cu

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))
STORE = ROOT / "results" / "results.csv"


# --- the leaderboard ----------------------------------------------------------------------------------------------

def _fill(store_path) -> None:
    cu.record_result("01", "nbsvm", "NB-SVM", "sst2", "validation", "accuracy", 0.80, profile="cpu")
    cu.record_result("04", "fine_tune_helper", "MiniLM", "sst2", "validation", "accuracy", 0.88, profile="cpu")
    cu.record_result("06", "published", "roberta-base", "sst2", "validation", "accuracy", 0.948, profile="cpu",
                     source="published", notes="Liu et al. 2019")
    cu.record_result("04", "published_bert_base", "bert-base", "sst2", "test", "accuracy", 0.935, profile="cpu",
                     source="published", notes="GLUE")


def test_leaderboard_ranks_measured_rows_only_by_default(store):
    _fill(store)
    board = cu.leaderboard()
    assert set(board["source"]) == {"measured"}
    assert list(board["experiment"]) == ["fine_tune_helper", "nbsvm"]  # best first, no published row among them
    assert list(cu.leaderboard(dataset="sst2", profile="cpu")["source"]) == ["measured", "measured"]


def test_published_rows_come_only_on_request_in_their_own_table(store):
    _fill(store)
    cited = cu.leaderboard(source="published")
    assert set(cited["source"]) == {"published"}
    assert list(cited["model"]) == ["roberta-base", "bert-base"]
    assert cu.leaderboard(dataset="imdb", source="published").empty


def test_every_table_has_a_source_column_even_empty(store):
    assert "source" in cu.leaderboard().columns
    cu.record_result("06", "published", "roberta-base", "sst2", "validation", "accuracy", 0.948, source="published")
    board = cu.leaderboard()
    assert board.empty and "source" in board.columns  # only published rows stored: the measured table is empty


@pytest.mark.parametrize("bad", ["all", "both", "Published", "", None, True, ["measured", "published"]])
def test_a_bad_source_is_one_clear_error(store, bad):
    _fill(store)
    with pytest.raises(ValueError, match=r"source must be 'measured' .* or 'published'.*never ranked in one table"):
        cu.leaderboard(source=bad)


def test_include_published_is_not_an_argument(store):
    with pytest.raises(TypeError, match="include_published"):
        cu.leaderboard(include_published=True)


# --- reading tables out of notebook outputs -----------------------------------------------------------------------

class _Tables(HTMLParser):
    """Every ``<table>`` of an HTML string as (header, rows): lists of cell texts (``th`` and ``td`` alike)."""

    def __init__(self):
        super().__init__()
        self.tables: list[tuple[list[str], list[list[str]]]] = []
        self._rows: list[tuple[bool, list[str]]] | None = None
        self._cell: list[str] | None = None
        self._in_head = False

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._rows = []
        elif tag == "thead":
            self._in_head = True
        elif tag == "tr" and self._rows is not None:
            self._rows.append((self._in_head, []))
        elif tag in ("td", "th") and self._rows is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._rows:
            self._rows[-1][1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "thead":
            self._in_head = False
        elif tag == "table" and self._rows is not None:
            head = [cells for in_head, cells in self._rows if in_head]
            body = [cells for in_head, cells in self._rows if not in_head]
            self.tables.append((head[0] if head else [], body))
            self._rows = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def html_tables(html: str) -> list[dict]:
    """Tables as {"columns": [...], "rows": [[cell, ...], ...]} (columns aligned to the right of each row)."""
    parser = _Tables()
    parser.feed(html)
    return [{"columns": head, "rows": rows} for head, rows in parser.tables]


TABLE_LINE = re.compile(r"\S {2,}\S")  # a fixed-width row: columns apart by 2+ spaces


def text_tables(text: str) -> list[list[str]]:
    """Runs of consecutive fixed-width lines (a printed DataFrame), each run a list of lines."""
    blocks, current = [], []
    for line in text.splitlines():
        if TABLE_LINE.search(line):
            current.append(line)
        else:
            if len(current) >= 2:
                blocks.append(current)
            current = []
    if len(current) >= 2:
        blocks.append(current)
    return blocks


def store_names(path: Path = STORE) -> tuple[set[str], set[str]]:
    """(published-only, measured-only) experiment and model names of a results store."""
    seen: dict[str, set[str]] = {}
    if path.exists():
        with open(path, newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                for col in ("experiment", "model"):
                    seen.setdefault(row[col], set()).add(row["source"] or "measured")
    published = {n for n, s in seen.items() if s == {"published"}}
    measured = {n for n, s in seen.items() if s == {"measured"}}
    return published, measured


def _mentions(line: str, names: set[str]) -> list[str]:
    return [n for n in names if re.search(rf"(?<![\w./-]){re.escape(n)}(?![\w./-])", line)]


def _classify_cells(cells: list[str], source: str | None, published: set[str], measured: set[str]) -> str | None:
    if source in ("published", "measured"):
        return source
    if any(c in published for c in cells):
        return "published"
    if any(c in measured for c in cells):
        return "measured"
    return None


def _output_texts(out: dict) -> tuple[list[str], list[str]]:
    """(html strings, text strings) of one output; a DataFrame's text/plain is skipped when it has HTML."""
    data = out.get("data", {})
    join = lambda v: "".join(v) if isinstance(v, list) else v  # noqa: E731
    if out.get("output_type") == "stream":
        return [], [join(out.get("text", ""))]
    html = [join(data["text/html"])] if "text/html" in data else []
    text = [join(data["text/plain"])] if "text/plain" in data and not html else []
    return html, text


def mixed_tables(nb: dict, names: tuple[set[str], set[str]] | None = None) -> list[str]:
    """One message per table output of ``nb`` that shows a published row together with measured rows."""
    published, measured = names or store_names()
    problems = []
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        where = f"cell {index} (id {cell.get('id', '?')})"
        for out in cell.get("outputs", []):
            html, texts = _output_texts(out)
            for table in (t for h in html for t in html_tables(h)):
                cols = table["columns"]
                kinds: dict[str, list[str]] = {"published": [], "measured": []}
                for cells in table["rows"]:
                    named = dict(zip(cols[-len(cells):], cells)) if cols else {}
                    kind = _classify_cells(cells, named.get("source"), published, measured)
                    if kind:
                        kinds[kind].append(cells[0] if len(cells) == 1 else " | ".join(cells[:3]))
                if kinds["published"] and kinds["measured"]:
                    problems.append(f"{where}: one table shows published row(s) {kinds['published'][:3]} with "
                                    f"measured row(s) {kinds['measured'][:3]}")
            for block in (b for t in texts for b in text_tables(t)):
                has_source = bool(re.search(r"(?<!\S)source(?!\S)", block[0]))
                kinds = {"published": [], "measured": []}
                for line in block[1:]:
                    tokens = set(line.split())
                    kind = None
                    if has_source and tokens & {"published", "measured"}:
                        kind = "published" if "published" in tokens else "measured"
                    elif _mentions(line, published):
                        kind = "published"
                    elif _mentions(line, measured):
                        kind = "measured"
                    if kind:
                        kinds[kind].append(" ".join(line.split())[:60])
                if kinds["published"] and kinds["measured"]:
                    problems.append(f"{where}: one printed table shows published row(s) {kinds['published'][:3]} "
                                    f"with measured row(s) {kinds['measured'][:3]}")
    return problems


# --- the parser on made-up outputs (so a failure below is the notebook's, not the parser's) -------------------------

def _nb_with(*outputs) -> dict:
    return {"cells": [{"cell_type": "code", "id": "x", "outputs": list(outputs), "source": ""}]}


def _html_output(df) -> dict:
    return {"output_type": "execute_result", "data": {"text/html": df.to_html(), "text/plain": df.to_string()}}


def test_the_parser_catches_a_mixed_table_in_html_and_in_text():
    import pandas as pd

    mixed = pd.DataFrame({"experiment": ["published", "fine_tune_helper"], "source": ["published", "measured"],
                          "accuracy": [0.948, 0.88]})
    names = ({"published_bert_base"}, {"fine_tune_helper", "trainer"})
    assert mixed_tables(_nb_with(_html_output(mixed)), names)
    printed = {"output_type": "stream", "name": "stdout", "text": mixed.to_string(index=False) + "\n"}
    assert mixed_tables(_nb_with(printed), names)
    no_source = pd.DataFrame({"experiment": ["published_bert_base", "trainer"], "accuracy": [0.935, 0.80]})
    assert mixed_tables(_nb_with(_html_output(no_source)), names)  # named by the store, no source column
    printed = {"output_type": "stream", "name": "stdout", "text": no_source.to_string(index=False) + "\n"}
    assert mixed_tables(_nb_with(printed), names)


def test_the_parser_accepts_separate_tables_and_prose():
    import pandas as pd

    names = ({"published_bert_base"}, {"fine_tune_helper"})
    ours = pd.DataFrame({"experiment": ["fine_tune_helper"], "source": ["measured"], "accuracy": [0.88]})
    cited = pd.DataFrame({"experiment": ["published_bert_base"], "source": ["published"], "accuracy": [0.935]})
    prose = {"output_type": "stream", "name": "stdout",
             "text": "measured points: 10; published points: 8\nfine_tune_helper: 0.88, published_bert_base 0.935\n"}
    assert mixed_tables(_nb_with(_html_output(ours), _html_output(cited), prose), names) == []


# --- the committed notebooks ------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_no_committed_output_ranks_published_rows_with_measured_ones(path):
    problems = mixed_tables(json.loads(path.read_text(encoding="utf-8")))
    assert not problems, (f"{path.name} shows published numbers in a table with measured ones (issue #16 item 3; "
                          "use cu.leaderboard() and cu.leaderboard(source='published'), two tables):\n  "
                          + "\n  ".join(problems))
