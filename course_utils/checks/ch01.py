"""Checks for chapter 01 (bag-of-words baselines)."""
from __future__ import annotations

import re

import numpy as np
import scipy.sparse as sp

from ..exercises import as_index_list, as_number, call_without, exercise, require, require_usage, watch_calls

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


# --- 1.1 ---------------------------------------------------------------------------------------------------------

def _reference_ratio(X, y, alpha):
    Xb = (np.asarray(X) > 0).astype(float)
    p = alpha + Xb[y == 1].sum(axis=0)
    q = alpha + Xb[y == 0].sum(axis=0)
    return np.log(p / p.sum()) - np.log(q / q.sum())


def _ratio_shortcuts() -> list:
    """The course's own code that computes r: the package helpers and this module's reference."""
    from .. import bow

    return [bow.log_count_ratio, bow.NBFeatureScaler.fit, bow.NBSVMClassifier.fit, _reference_ratio]


def _own_ratio(answer, X, y, alpha, what: str) -> np.ndarray:
    """``answer(X, y, alpha)``, refused if it lets a course helper or a Naive Bayes model compute r."""
    from sklearn.naive_bayes import MultinomialNB

    with watch_calls([MultinomialNB.fit]) as nb:
        answer(X, y, alpha)
    require(not nb, f"{what} fits a Naive Bayes model and reads r off its log-probabilities",
            hint="section 3 shows that this gives the same numbers; the exercise is to compute r from the counts "
                 "yourself, with numpy")
    return _float_array(call_without(answer, _ratio_shortcuts(), X, y, alpha, what=what), what)


def _ratio_variants(X, y, alpha) -> dict[str, np.ndarray]:
    """Typical wrong versions of r on dense ``X``, each with the diagnosis a learner needs."""
    X = np.asarray(X, dtype=float)
    Xb = (X > 0).astype(float)
    p, q = alpha + Xb[y == 1].sum(0), alpha + Xb[y == 0].sum(0)
    pc, qc = alpha + X[y == 1].sum(0), alpha + X[y == 0].sum(0)
    return {
        "raw counts": np.log(pc / pc.sum()) - np.log(qc / qc.sum()),
        "no normalisation": np.log(p) - np.log(q),
        "flipped sign": np.log(q / q.sum()) - np.log(p / p.sum()),
        "alpha ignored": _reference_ratio(X, y, 1.0),
    }


_RATIO_HINTS = {
    "raw counts": ("you used raw counts", "binarize first: a word counts once per document, however often it "
                   "occurs there"),
    "no normalisation": ("you compared the smoothed counts directly", "r compares two *distributions*: turn each "
                         "class's smoothed counts into shares that sum to 1 before comparing them"),
    "flipped sign": ("the sign is flipped", "r > 0 must mean: more frequent in the positive documents (y == 1)"),
    "alpha ignored": ("your result does not change with alpha", "use the alpha argument for the smoothing instead "
                      "of a fixed number"),
}


@exercise("1.1", "the log-count ratio")
def check_log_count_ratio(answer) -> str:
    """``answer``: a function ``f(X, y, alpha)`` -> (n_features,) array, X a (n_docs, n_features) count matrix.

    The course's ``bow.log_count_ratio``, ``bow.NBFeatureScaler`` / ``NBSVMClassifier`` (which compute r) and a
    Naive Bayes model's log-probabilities are refused: the exercise is to compute r."""
    require(callable(answer), "expected a function log_count_ratio(X, y, alpha)")
    X = np.array([[2, 1, 0, 0], [1, 0, 0, 1], [0, 0, 3, 1], [0, 1, 1, 0], [1, 0, 0, 0]])
    y = np.array([1, 1, 0, 0, 1])
    for alpha in (1.0, 0.5):
        got = _own_ratio(answer, X, y, alpha, "log_count_ratio(X, y, alpha)")
        require(got.shape == (4,), f"expected one value per feature (4), got shape {got.shape}")
        ref = _reference_ratio(X, y, alpha)
        if not np.allclose(got, ref, atol=1e-6):
            for name, wrong in _ratio_variants(X, y, alpha).items():
                if np.allclose(got, wrong, atol=1e-6) and not np.allclose(wrong, ref, atol=1e-6):
                    require(False, _RATIO_HINTS[name][0], hint=_RATIO_HINTS[name][1])
            require(False, f"values differ from the reference for alpha={alpha}: {np.round(got, 3)}",
                    hint="re-read the definition in section 3 and compute it step by step on this toy X: smoothed "
                         "document counts per class, then a comparison of the two distributions in log space")
    got = _own_ratio(answer, sp.csr_matrix(X), y, 1.0, "log_count_ratio(X_sparse, y, 1.0)")
    require(np.allclose(got, _reference_ratio(X, y, 1.0)), "it must also work on a scipy sparse matrix",
            hint="summing a sparse matrix over an axis gives a 2-D np.matrix: turn it into a flat 1-D array")
    return "r matches the reference on a toy corpus, dense and sparse."


# --- 1.2 ---------------------------------------------------------------------------------------------------------

def _check_negation_data(texts, y_true, y_pred) -> None:
    usage = "call it as check_misclassified_negations(answer, texts=..., y_true=..., y_pred=...)"
    require_usage(texts is not None and y_true is not None and y_pred is not None, f"texts, y_true and y_pred are "
                  f"required; {usage}")
    require_usage(not isinstance(texts, str) and hasattr(texts, "__len__"),
                  f"texts must be the list of validation texts, got {type(texts).__name__}; {usage}")
    lengths = {"texts": len(texts), "y_true": len(np.ravel(y_true)), "y_pred": len(np.ravel(y_pred))}
    require_usage(len(set(lengths.values())) == 1, f"texts, y_true and y_pred must have the same length, got "
                  f"{lengths}; {usage}")


_TOY_TEXTS = ["not good", "never again", "it is n't bad", "a good film", "no way", "fine", "without any charm",
              "i could n't stop laughing", "a dull , lifeless mess"]
_TOY_TRUE = np.array([0, 0, 1, 1, 0, 1, 0, 1, 0])
_TOY_PRED = np.array([1, 1, 0, 0, 0, 0, 1, 0, 1])


def _reference_negation_errors(texts, y_true, y_pred) -> list[int]:
    from ..error_analysis import tag_phenomena

    neg = tag_phenomena(list(texts))["negation"].to_numpy()
    return [int(i) for i in np.flatnonzero(neg & (np.ravel(y_true) != np.ravel(y_pred)))]


def _negation_errors_on(answer, texts, y_true, y_pred, where: str) -> str:
    from ..error_analysis import misclassified, tag_phenomena

    what = "negation_errors(texts, y_true, y_pred)"
    got = as_index_list(call_without(answer, [misclassified], texts, y_true, y_pred, what=what), what)
    require(len(got) == len(set(got)), f"on {where} your list repeats a position", hint="give each position once")
    require(all(0 <= i < len(texts) for i in got), f"on {where} a position is outside 0..{len(texts) - 1}",
            hint="return positions in texts, not labels or counts")
    ref = _reference_negation_errors(texts, y_true, y_pred)
    neg = tag_phenomena(list(texts))["negation"].to_numpy()
    no_neg = [i for i in got if not neg[i]]
    require(not no_neg, f"on {where} text {no_neg[:1]} has no negation word",
            hint="tag_phenomena(texts)['negation'] says which texts have one")
    right = [i for i in got if int(np.ravel(y_true)[i]) == int(np.ravel(y_pred)[i])]
    require(not right, f"on {where} the model gets text {right[:1]} right",
            hint="keep only the rows where the prediction differs from the label")
    missing = sorted(set(ref) - set(got))
    require(not missing, f"on {where} {len(missing)} of the {len(ref)} misclassified negations are missing",
            hint="return every position that has both properties, not only the first few; the negation column of "
                 "tag_phenomena decides what counts as a negation (its list is longer than not / no / never)")
    return f"{len(ref)} of the {len(texts)} texts contain a negation and are misclassified"


@exercise("1.2", "the misclassified negations")
def check_misclassified_negations(answer, texts=None, y_true=None, y_pred=None) -> str:
    """``answer``: a function ``negation_errors(texts, y_true, y_pred)`` returning the positions of EVERY text that
    contains a negation (``error_analysis.tag_phenomena``) and that ``y_pred`` gets wrong. It is run on a toy set and
    on ``texts``; ``error_analysis.misclassified`` (which does the filtering) is refused."""
    _check_negation_data(texts, y_true, y_pred)
    require(callable(answer), f"expected a function negation_errors(texts, y_true, y_pred), got "
                              f"{type(answer).__name__}", hint="def negation_errors(texts, y_true, y_pred): ... "
                                                               "returning a list of positions; then answer = negation_errors")
    _negation_errors_on(answer, _TOY_TEXTS, _TOY_TRUE, _TOY_PRED, "a toy set")
    found = _negation_errors_on(answer, list(texts), np.asarray(y_true), np.asarray(y_pred), "your data")
    return f"{found}: print a few and read them."


# --- 1.3 ---------------------------------------------------------------------------------------------------------

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


def _negation_hint(text: str, got: str, ref: str) -> str:
    """What differs between ``got`` and ``ref``, said as a pointer, not as the answer."""
    g, r = got.split(), ref.split()
    if len(g) != len(r):
        return "keep one output token per input token, joined by single spaces"
    for tg, tr, tok in zip(g, r, text.split()):
        if tg == tr:
            continue
        if _PUNCT.match(tok):
            return "punctuation tokens are kept as they are, and they end the scope"
        if tr.endswith("_NEG") and not tg.endswith("_NEG"):
            if tok.lower() in _NEGATORS or tok.lower().endswith("n't"):
                return "inside a scope every token is marked, a second negator too"
            return "the scope goes on after the negator until a punctuation token: check how you open it and " \
                   "which tokens count as negators (a token ending in n't is one)"
        if tg.endswith("_NEG") and not tr.endswith("_NEG"):
            if tok.lower() in _NEGATORS or tok.lower().endswith("n't"):
                return "the negator that opens a scope keeps its own form; only the tokens after it are marked"
            return "the scope ends at the first punctuation token (. , ! ? ; :)"
        return "append exactly the suffix _NEG to the token"
    return "compare your output with the expected one token by token"


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
        "it isn't funny , honestly .",
        "nothing not to like : a treat",
    ]
    for text in cases:
        got = call_without(answer, [_reference_mark_negation], text, what="mark_negation(text)")
        ref = _reference_mark_negation(text)
        require(isinstance(got, str), f"expected a string, got {type(got).__name__}",
                hint="join the tokens back into one string (did you forget `return`?)")
        require(got == ref, f"for {text!r} expected {ref!r}, got {got!r}", hint=_negation_hint(text, got, ref))
    return "the negation scopes match the reference."


# --- 1.4 ---------------------------------------------------------------------------------------------------------

ALPHA_EXPERIMENT = "exercise_1.4_mnb_alpha"
_ALPHA_RE = re.compile(r"alpha\s*=\s*([0-9.eE+-]+)\s*\)?\s*$")


def _recorded(chapter: str, experiment: str):
    """The active profile's recorded accuracy rows of ``experiment`` (a pandas DataFrame)."""
    from ..profiles import profile_name
    from ..results import load_results

    df = load_results(profile=profile_name())
    return df[(df["chapter"] == chapter) & (df["experiment"] == experiment) & (df["metric"] == "accuracy")]


def _as_bool(got, what: str) -> bool:
    require(isinstance(got, (bool, np.bool_)), f"{what} should be True or False, got {type(got).__name__} {got!r}")
    return bool(got)


@exercise("1.4", "how much smoothing?")
def check_smoothing(answer) -> str:
    """``answer``: ``{"best_alpha": a, "gain": g, "beyond_one_se": b}`` read from the rows the experiment recorded
    (experiment ``exercise_1.4_mnb_alpha``, dataset ``sst2``, split ``dev``, metric ``accuracy``, one row per alpha
    with a model name ending in ``alpha=<value>``, ``n_train`` = the rows fitted on):
    ``a`` the alpha with the highest dev accuracy, ``g`` its dev accuracy minus alpha=1's (a fraction, 0.01 = one
    point), ``b`` whether ``g`` is larger than one standard error of the best dev accuracy."""
    from ..evaluation import binomial_se
    from ..profiles import profile_name
    from course_data import dataset_info

    rows = _recorded("01", ALPHA_EXPERIMENT)
    rows = rows[(rows["dataset"] == "sst2") & (rows["split"] == "dev")]
    require(len(rows) > 0, f"no rows of experiment {ALPHA_EXPERIMENT!r} (sst2, split 'dev') are recorded in profile "
                           f"{profile_name()!r}", hint="run the experiment and record one row per alpha with "
                                                       "cu.record_result (see the exercise text), then check again")
    alphas = {}
    for model, value in zip(rows["model"], rows["value"]):
        m = _ALPHA_RE.search(str(model))
        require(m is not None, f"recorded model name {model!r} does not end with alpha=<value>",
                hint='name each row e.g. model=f"MultinomialNB (uni+bigrams, counts, alpha={alpha:g})"')
        alphas[float(m.group(1))] = float(value)
    require(1.0 in alphas, "alpha=1 (the setting section 4 used) is not among your recorded rows",
            hint="alpha=1 is the reference the gain is measured from: record it too")
    require(min(alphas) < 1.0 < max(alphas), f"recorded alphas {sorted(alphas)}: try at least one value below 1 "
                                             "and one above", hint="e.g. a few values spread on a log scale")
    n_train = rows["n_train"].dropna()
    n_full = int(dataset_info("sst2")["splits"]["train"])
    require(len(n_train) == len(rows) and n_train.nunique() == 1 and 0 < int(n_train.iloc[0]) < n_full,
            f"every row needs the same n_train: the number of training rows the model was fitted on (fewer than "
            f"the {n_full:,} of the whole train split, since the dev rows are held out); recorded: "
            f"{sorted(set(n_train.tolist()))}", hint="pass n_train=len(fit_idx) to cu.record_result")
    n_dev = n_full - int(n_train.iloc[0])

    require(isinstance(answer, dict), f"expected a dict with keys best_alpha, gain, beyond_one_se, got "
                                      f"{type(answer).__name__}", hint='e.g. {"best_alpha": 0.5, "gain": 0.004, '
                                                                       '"beyond_one_se": False}')
    missing = [k for k in ("best_alpha", "gain", "beyond_one_se") if k not in answer]
    require(not missing, f"your answer has no {missing}")
    best_acc = max(alphas.values())
    best = [a for a, v in alphas.items() if v == best_acc]
    a = as_number(answer["best_alpha"], "best_alpha")
    require(any(np.isclose(a, b) for b in best), f"alpha={a:g} is not the setting with the highest dev accuracy in "
                                                 f"your {len(alphas)} recorded rows",
            hint="sort your rows by their value and read the top one")
    expected = best_acc - alphas[1.0]
    gain = as_number(answer["gain"], "gain")
    close = abs(gain - expected) < 1.5e-4  # the rows store 6 significant digits; printed accuracies have 4 decimals
    require(close or not (expected > 1.5e-4 and abs(gain - 100 * expected) < 0.015), f"gain {gain:g} looks like "
            "percentage points", hint="give it as a fraction of 1, as accuracies are stored (0.01 = one point)")
    require(close or not (expected > 1.5e-4 and abs(gain + expected) < 1.5e-4), "the gain has the wrong sign",
            hint="best minus alpha=1: it cannot be negative, since alpha=1 is one of the settings")
    require(close, f"gain {gain:.4f} does not match your recorded rows",
            hint="subtract alpha=1's dev accuracy from the best one's")
    se = binomial_se(best_acc, n_dev)
    beyond = _as_bool(answer["beyond_one_se"], "beyond_one_se")
    require(beyond == (expected > se), f"beyond_one_se={beyond} does not match the rows: compare the gain with one "
                                       f"standard error of a dev accuracy",
            hint="cu.binomial_se(best accuracy, number of dev rows) is one standard error")
    verdict = "larger" if expected > se else "not larger"
    return (f"alpha={a:g} beat alpha=1 by {expected * 100:.2f} points on {n_dev:,} dev sentences; one standard error "
            f"is {se * 100:.2f} points, so the gain is {verdict} than the noise of this dev set.")
