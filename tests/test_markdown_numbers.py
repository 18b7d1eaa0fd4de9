"""Numbers quoted in chapter markdown come from the results store or the notebook's own outputs, and chapter,
section and file references exist (issue #16 item 1; the checker is scripts/markdown_numbers.py).

Fast: it reads the committed notebooks and results/results.csv, it executes nothing. A stale number (a result that
changed when the notebook was re-executed) fails ``test_committed_notebooks`` with the notebook, cell and number.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import markdown_numbers as mn  # noqa: E402  (scripts/ is not a package; its dataclasses need a real module)

RESULTS = """chapter,experiment,model,dataset,split,metric,value,n_train,profile,seconds,params,source,notes,recorded_at
01,bow,NB-SVM,imdb,test,accuracy,0.91064,25000,cpu,89.5,1520266,measured,,2026-01-01T00:00:00Z
04,headline,MiniLM,sst2,test,accuracy,0.8807,6920,cpu,412.0,22713986,measured,,2026-01-01T00:00:00Z
04,headline,MiniLM,sst2,test,accuracy,0.8123,6920,smoke,3.0,22713986,measured,,2026-01-01T00:00:00Z
05,heads,MiniLM,sst2,test,accuracy,0.8333,6920,cpu,100.0,22713986,measured,,2026-01-01T00:00:00Z
"""


def notebook(*cells, run_seconds=None) -> dict:
    """A chapter notebook from ("md", text) / ("code", source, printed text or None) tuples."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["course"] = {"executed_profile": "cpu", **({"run_seconds": run_seconds} if run_seconds else {})}
    for kind, src, *out in cells:
        if kind == "md":
            nb.cells.append(nbformat.v4.new_markdown_cell(src))
        else:
            cell = nbformat.v4.new_code_cell(src)
            if out and out[0]:
                cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=out[0])]
            nb.cells.append(cell)
    return nbformat.from_dict(nb)


def check(nb, name="04_fine_tuning.ipynb", **kw):
    chapters = {n: notebook(("md", f"# Chapter {n:02d}")) for n in range(7)}
    kw.setdefault("results", mn.load_results(RESULTS))
    kw.setdefault("chapters", chapters)
    kw.setdefault("link_exists", lambda rel: rel in ("01_bag_of_words.ipynb", "../README.md"))
    return mn.check_notebook(nb, name=name, **kw)


def quoted(findings, kind=None):
    return sorted(f.quoted for f in findings if kind is None or f.kind == kind)


# --- the class of error: a stale number, a chapter that does not exist ------------------------------------------

def test_a_stale_number_and_a_missing_chapter_are_found():
    nb = notebook(
        ("md", "# Chapter 04 — fine-tuning\n\n## 1. The headline run"),
        ("code", "res = cu.fine_tune(train, val)\nprint(res)", "test accuracy 0.8807 (1,821 sentences) in 412 s\n"),
        ("md", "**What to notice**: the helper reaches 88.07% on the test split (88.1%, or 0.881) in 412 s.\n\n"
               "The headline run reaches 86.8% on the test split, about 2.1 points below the target.\n\n"
               "Long reviews are handled in chapter 07; chapters 05-06 compare heads and variants."),
    )
    findings = check(nb)
    assert quoted(findings, "number") == ["2.1 points", "86.8%"]
    assert quoted(findings, "chapter") == ["chapter 07"]
    stale = next(f for f in findings if f.quoted == "86.8%")
    assert (stale.notebook, stale.cell) == ("04_fine_tuning.ipynb", 2)
    assert "The headline run reaches 86.8%" in stale.sentence
    assert "04_fine_tuning.ipynb cell 2" in str(stale) and "86.8%" in str(stale)


def test_the_results_store_supports_this_and_earlier_chapters_in_the_executed_profile():
    nb = notebook(("md", "NB-SVM got 91.06% on IMDB (chapter 01) and our encoder 0.881 on SST-2."),
                  ("md", "Chapter 05's heads reach 83.33%."),    # a later chapter's row: not this one's source
                  ("md", "The smoke run gave 81.23%."))          # another profile's row
    assert quoted(check(nb)) == ["81.23%", "83.33%"]


def test_rounding_is_checked_at_the_precision_written():
    nb = notebook(("code", "go()", "val accuracy 0.8807\n"),
                  ("md", "It gets 88% (rounded), 88.1%, 88.07%, 0.88 and 0.881, not 88.2% nor 0.8808."))
    assert quoted(check(nb)) == ["0.8808", "88.2%"]


def test_times_come_from_the_measured_run_the_results_store_or_the_estimates():
    nb = notebook(
        ("md", "# Chapter 03\n\n**Run time**: 26 min in the `cpu` profile, measured; about 3 min on a T4 "
               "(estimated).\n\nThe pre-training cell takes roughly 5-10 minutes on a laptop."),
        ("code", "train()", "400 steps in 1525 s\n"),
        run_seconds=1560)
    est = {"chapters": {"03": {"minutes": 2.8, "jobs": []}}}
    assert quoted(check(nb, name="03_bert_theory.ipynb", gpu_estimates=est)) == ["5-10 minutes"]
    nb.cells[0].source = nb.cells[0].source.replace("5-10 minutes", "25 minutes")   # 1525 s = 25.4 min
    assert check(nb, name="03_bert_theory.ipynb", gpu_estimates=est) == []
    nb.cells[0].source = nb.cells[0].source.replace("26 min", "8.1 min")            # a stale header
    assert quoted(check(nb, name="03_bert_theory.ipynb", gpu_estimates=est)) == ["8.1 min"]


def test_a_number_with_few_digits_must_be_printed_in_its_own_section():
    far = notebook(("md", "## 1. Costs"), ("code", "costs()", "relative change 1.0%\n"),
                   ("md", "## 2. What fine-tuning changed"), ("code", "plot_changes()", None),
                   ("md", "**What to notice**: every layer moves by about a percent or less."))
    assert quoted(check(far)) == ["a percent"]
    near = notebook(("md", "## 2. What fine-tuning changed"), ("code", "plot_changes()", "largest change 1.2%\n"),
                    ("md", "**What to notice**: every layer moves by about a percent or less."))
    assert check(near) == []


# --- numbers that are not results are not flagged ----------------------------------------------------------------

def test_settings_citations_arithmetic_quotes_and_the_marker_are_not_results():
    nb = notebook(
        ("code", "args = dict(warmup_ratio=0.1, dropout=0.3, test_size=0.2, lr=1e-4)", None),
        ("md", "# Chapter 04\n\n## 1. Setup\n\n"
               "1. A 6-layer encoder with 384 hidden units, 12 heads and 512 positions, trained for 3 epochs.\n"
               "2. Warmup over 10% of the steps, dropout 0.3, a held-out 20% of the training split, lr `1e-4`.\n\n"
               "Sun et al. (2019) report 95.2% on IMDB with bert-base. Published GLUE results are near 93.5%.\n\n"
               "- **ELECTRA** (Clark et al., 2020) changed the objective. Every token is a signal, not the 15% "
               "that MLM masks.\n\n"
               "The loss starts at ln 2 ≈ 0.69; each head has 384 / 12 = 32 dimensions; the table has "
               "30,522 × 384 = 11.7M weights.\n\n"
               'Tutorials say the weights move "by about a percent". The `cpu` profile has a 15-minute budget, '
               "and a 1-point difference is noise.\n\n"
               "Exercise 4.4 uses transformers 5.23 and Python 3.11.7; `accuracy = 0.9876` in code is not prose.\n\n"
               "A constant predictor has macro-F1 0.33. <!-- not-a-result -->\n\n"
               "See [chapter 01](01_bag_of_words.ipynb) and [the README](../README.md), "
               "[BERT](https://arxiv.org/abs/1810.04805)."),
    )
    assert check(nb) == []


def test_wrong_arithmetic_is_found():
    nb = notebook(("md", "Each head has 384 / 12 = 30 dimensions, and ln 2 ≈ 0.72."))
    assert quoted(check(nb), "arithmetic") == ["0.72", "30"]


# --- references ---------------------------------------------------------------------------------------------------

def test_sections_and_links_must_exist():
    nb = notebook(
        ("md", "# Chapter 04\n\n## 1. Loop\n\nSection 1 writes the loop; section 3 compares heads "
               "(chapter 01's section 2 built the baseline; chapter 02's section 5 does not exist).\n\n"
               "See [the data card](../data/cards/missing.md) and [chapter 01](01_bag_of_words.ipynb#section)."),
        ("md", "## 2. Trainer"),
        ("code", "print('see chapter 09 for more')", "see chapter 09 for more\n"),
    )
    chapters = {n: notebook(("md", f"# Chapter {n:02d}\n\n## 1. A\n\n## 2. B")) for n in range(7)}
    findings = check(nb, chapters=chapters)
    assert sorted((f.kind, f.quoted) for f in findings) == [
        ("chapter", "chapter 09"), ("link", "../data/cards/missing.md"), ("section", "section 3"),
        ("section", "section 5")]
    assert next(f for f in findings if f.kind == "chapter").where == "output"


def test_a_notebook_without_numbered_sections_is_not_checked_for_them():
    nb = notebook(("md", "# Chapter 04\n\n## Intro\n\nSection 7 explains it."))
    assert check(nb) == []


# --- the committed course ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", mn.course_notebooks(ROOT), ids=lambda p: p.name)
def test_committed_notebooks(path):
    findings = mn.check_course(ROOT, [path])
    assert not findings, (
        "markdown quotes numbers that neither results/results.csv nor this notebook's outputs contain, or refers "
        "to a chapter/section/file that does not exist (write the number from the code, word the sentence so it "
        "stays true, or mark a non-result with <!-- not-a-result --> and say why):\n"
        + "\n".join(str(f) for f in findings))


def test_command_line_lists_findings_and_fails(tmp_path, capsys):
    bad = tmp_path / "04_fine_tuning.ipynb"
    nbformat.write(notebook(("md", "# Chapter 04\n\nSee chapter 42.")), str(bad))
    assert mn.main([str(bad)]) == 1
    assert "chapter 42" in capsys.readouterr().out


# --- the old notebooks: the errors issue #16 lists are caught -----------------------------------------------------

def _have(commit: str) -> bool:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        return False
    return subprocess.run(["git", "-C", str(ROOT), "cat-file", "-e", f"{commit}^{{commit}}"],
                          capture_output=True).returncode == 0


@pytest.mark.parametrize("commit, notebook_name, expected", [
    ("146d0b4", "03_bert_theory", ("chapter", "chapter 07")),   # "chapter 07 discusses head+tail truncation"
    ("64b31be", "03_bert_theory", ("number", "5-10 minutes")),  # header estimate; its own run printed 1525 s
    ("4f25cf6", "04_fine_tuning", ("number", "a percent")),     # "every layer moves ... by about a percent"
])
def test_old_notebooks_fail(commit, notebook_name, expected):
    if not _have(commit):
        pytest.skip(f"commit {commit} is not in this checkout (shallow clone?)")
    findings = mn.check_commit(commit, ROOT, [notebook_name])
    assert expected in {(f.kind, f.quoted) for f in findings}, "\n".join(map(str, findings))
