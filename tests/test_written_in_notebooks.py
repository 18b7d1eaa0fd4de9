"""Issue #13: where a chapter's lesson is "write X", X is written in the notebook's cells, and the package keeps the
very same code for later chapters and the tests (d2l's ``#@save`` idea). These tests fail when the two drift apart.
"""
from __future__ import annotations

import ast
import importlib
import inspect
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# chapter notebook -> (module, the names its cells define verbatim)
WRITTEN = {
    "02_word_embeddings.ipynb": ("course_utils.embeddings", ("BiLSTMClassifier", "ConvMaxPool", "CNNClassifier")),
    "03_bert_theory.ipynb": ("course_utils.bert_scratch", (
        "additive_mask", "scaled_dot_product_attention", "Embeddings", "MultiHeadSelfAttention", "FeedForward",
        "EncoderLayer", "EncoderOutput", "Encoder")),
    "05_bert_lstm_hybrid.ipynb": ("course_utils.heads", (
        "AttentionPooling", "BiLSTMHead", "BiLSTMAttentionHead", "CNNHead")),
}
CASES = [(nb, module, name) for nb, (module, names) in WRITTEN.items() for name in names]


def notebook_definitions(path: Path) -> dict[str, str]:
    """{name: source} of every class and function defined at the top level of a code cell (whole lines)."""
    found = {}
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] != "code":
            continue
        text = "".join(cell["source"])
        try:
            tree = ast.parse(text)
        except SyntaxError:  # IPython magics: no definition there
            continue
        for node in tree.body:
            if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
                first = min([node.lineno] + [d.lineno for d in node.decorator_list])
                found[node.name] = "\n".join(text.splitlines()[first - 1:node.end_lineno])
    return found


@pytest.mark.parametrize("notebook,module,name", CASES, ids=[f"{nb[:2]}-{name}" for nb, _, name in CASES])
def test_notebook_writes_the_package_code_verbatim(notebook, module, name):
    defined = notebook_definitions(ROOT / "chapters" / notebook)
    assert name in defined, f"{notebook} no longer writes {name} in a code cell: the lesson must stay visible"
    package = inspect.getsource(getattr(importlib.import_module(module), name)).rstrip("\n")
    assert defined[name] == package, (
        f"{notebook}'s {name} differs from {module}: copy one into the other (they must stay identical)")


def test_student_copies_keep_the_written_code():
    """The student copies (solutions removed) still show every piece of written code."""
    for notebook, (_, names) in WRITTEN.items():
        copy = ROOT / "student" / notebook
        if not copy.exists():
            pytest.skip("student copies not built")
        assert set(names) <= set(notebook_definitions(copy)), notebook


def test_a_changed_copy_is_detected(tmp_path):
    """The comparison can fail: one changed character makes the notebook's class differ from the package's."""
    from course_utils import heads

    text = inspect.getsource(heads.CNNHead).replace("(3, 5)", "(3, 4)")
    nb = {"cells": [{"cell_type": "code", "source": [text]}, {"cell_type": "code", "source": ["%matplotlib inline"]},
                    {"cell_type": "markdown", "source": ["class NotCode: pass"]}]}
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    found = notebook_definitions(path)
    assert set(found) == {"CNNHead"}
    assert found["CNNHead"] != inspect.getsource(heads.CNNHead).rstrip("\n")
