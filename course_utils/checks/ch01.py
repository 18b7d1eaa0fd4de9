"""Checks for chapter 01 (bag-of-words baselines)."""
from __future__ import annotations

import re

import numpy as np
import scipy.sparse as sp

from ..exercises import as_index_list, exercise, require, require_usage

_NEGATORS = {"not", "no", "never", "n't", "nothing", "cannot"}
_PUNCT = re.compile(r"^[.,!?;:]+$")


def _float_array(got, what: str) -> np.ndarray:
    """What the learner's function returned, as a 1-D float array (a failed check if it holds no numbers)."""
    if sp.issparse(got):
        got = got.toarray()
    if got is None or isinstance(got, str):
        require(False, f"{what} returned {type(got).__name__}, expected an array of numbers",
                hint="return a numpy array with one value per feature (did you forget `return`?)")
    try:
        return np.asarray(got, dtype=float).ravel()
    except (TypeError, ValueError):
        require(False, f"{what} returned {type(got).__name__}, expected an array of numbers",
                hint="return a numpy array with one value per feature (did you forget `return`?)")


def _reference_ratio(X, y, alpha):
    Xb = (np.asarray(X) > 0).astype(float)
    p = alpha + Xb[y == 1].sum(axis=0)
    q = alpha + Xb[y == 0].sum(axis=0)
    return np.log(p / p.sum()) - np.log(q / q.sum())


@exercise("1.1", "the log-count ratio")
def check_log_count_ratio(answer) -> str:
    """``answer``: a function ``f(X, y, alpha)`` -> (n_features,) array, X a (n_docs, n_features) count matrix."""
    require(callable(answer), "expected a function log_count_ratio(X, y, alpha)")
    X = np.array([[2, 1, 0, 0], [1, 0, 0, 1], [0, 0, 3, 1], [0, 1, 1, 0], [1, 0, 0, 0]])
    y = np.array([1, 1, 0, 0, 1])
    for alpha in (1.0, 0.5):
        got = _float_array(answer(X, y, alpha), "log_count_ratio(X, y, alpha)")
        require(got.shape == (4,), f"expected one value per feature (4), got shape {got.shape}")
        ref = _reference_ratio(X, y, alpha)
        counted = np.log((alpha + X[y == 1].sum(0)) / (alpha + X[y == 1].sum(0)).sum()) - np.log(
            (alpha + X[y == 0].sum(0)) / (alpha + X[y == 0].sum(0)).sum())
        require(not np.allclose(got, counted) or np.allclose(counted, ref),
                "you used raw counts", hint="binarize first: a word counts once per document (X > 0)")
        require(np.allclose(got, ref, atol=1e-6), f"values differ from the reference for alpha={alpha}: {np.round(got, 3)}",
                hint="p = alpha + (X>0)[y==1].sum(0); r = log(p / p.sum()) - log(q / q.sum())")
    got = _float_array(answer(sp.csr_matrix(X), y, 1.0), "log_count_ratio(X_sparse, y, 1.0)")
    require(np.allclose(got, _reference_ratio(X, y, 1.0)), "it must also work on a scipy sparse matrix",
            hint="use (X > 0) and .sum(axis=0), then np.asarray(...).ravel()")
    return "r matches the reference on a toy corpus, dense and sparse."


def _check_negation_data(texts, y_true, y_pred) -> None:
    usage = "call it as check_misclassified_negations(answer, texts=..., y_true=..., y_pred=...)"
    require_usage(texts is not None and y_true is not None and y_pred is not None, f"texts, y_true and y_pred are "
                  f"required; {usage}")
    require_usage(not isinstance(texts, str) and hasattr(texts, "__len__"),
                  f"texts must be the list of validation texts, got {type(texts).__name__}; {usage}")
    lengths = {"texts": len(texts), "y_true": len(np.ravel(y_true)), "y_pred": len(np.ravel(y_pred))}
    require_usage(len(set(lengths.values())) == 1, f"texts, y_true and y_pred must have the same length, got "
                  f"{lengths}; {usage}")


@exercise("1.2", "three misclassified negations")
def check_misclassified_negations(answer, texts=None, y_true=None, y_pred=None) -> str:
    """``answer``: 3 distinct indices into ``texts`` where the text contains a negation and ``y_pred`` is wrong."""
    _check_negation_data(texts, y_true, y_pred)
    require(isinstance(answer, (list, tuple, np.ndarray)), f"expected a list of 3 indices, got {type(answer).__name__}",
            hint="e.g. [12, 40, 57]: positions in texts")
    idx = as_index_list(answer, "your answer")
    require(len(idx) == 3 and len(set(idx)) == 3, f"expected 3 different indices, got {idx}")
    require(all(0 <= i < len(texts) for i in idx), f"indices must be in 0..{len(texts) - 1}")
    from ..error_analysis import tag_phenomena

    neg = tag_phenomena([texts[i] for i in idx])["negation"].to_numpy()
    require(neg.all(), f"text {idx[int(np.argmin(neg))]} has no negation word",
            hint="tag_phenomena(texts)['negation'] marks the candidates")
    wrong = [i for i in idx if int(y_true[i]) == int(y_pred[i])]
    require(not wrong, f"the model got text {wrong[0] if wrong else ''} right", hint="keep only rows where y_pred != y_true")
    return "all three contain a negation and the BoW model gets them wrong."


def _reference_mark_negation(text: str) -> str:
    out, negated = [], False
    for tok in text.split():
        if _PUNCT.match(tok):
            negated = False
            out.append(tok)
        elif negated:
            out.append(tok + "_NEG")
        else:
            out.append(tok)
            negated = tok.lower() in _NEGATORS or tok.lower().endswith("n't")
    return " ".join(out)


@exercise("1.3", "mark the scope of a negation")
def check_mark_negation(answer) -> str:
    """``answer``: a function ``f(text) -> text`` (see the chapter for the rule)."""
    require(callable(answer), "expected a function mark_negation(text)")
    cases = [
        "this is not good .",
        "i did n't like the plot , but the cast is great !",
        "never boring and never dull",
        "a good film .",
        "no plot , no jokes , no fun .",
        "it is not bad ; it is great .",
    ]
    for text in cases:
        got, ref = answer(text), _reference_mark_negation(text)
        require(isinstance(got, str), f"expected a string, got {type(got).__name__}")
        require(got == ref, f"for {text!r} expected {ref!r}, got {got!r}",
                hint="split on spaces; after a negator add _NEG to each token until . , ! ? ; or :")
    return "the negation scopes match the reference."
