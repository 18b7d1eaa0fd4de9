"""Chapter 01 exercise checks: the worked solution passes, ``None`` is "not attempted", plausible wrong answers fail
with their reason, and the course helper that computes the answer is refused (issue #16 item 4)."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from course_utils import bow, error_analysis as ea
from course_utils.checks import ch01

from check_helpers import assert_solution_passes_and_none_is_not_attempted


def _out(capsys) -> str:
    return capsys.readouterr().out


# --- 1.1 the log-count ratio ------------------------------------------------------------------------------------------

def log_count_ratio(X, y, alpha=1.0):  # the chapter's solution
    Xb = (X > 0).astype(np.float64)
    y = np.asarray(y)
    p = alpha + np.asarray(Xb[y == 1].sum(axis=0)).ravel()
    q = alpha + np.asarray(Xb[y == 0].sum(axis=0)).ravel()
    return np.log(p / p.sum()) - np.log(q / q.sum())


def _raw(X, y, alpha):  # forgets to binarize
    X = np.asarray(sp.csr_matrix(X).todense(), dtype=float)
    p, q = alpha + X[y == 1].sum(0), alpha + X[y == 0].sum(0)
    return np.log(p / p.sum()) - np.log(q / q.sum())


def _no_norm(X, y, alpha):  # forgets the normalisation
    Xb = (np.asarray(sp.csr_matrix(X).todense()) > 0).astype(float)
    return np.log(alpha + Xb[y == 1].sum(0)) - np.log(alpha + Xb[y == 0].sum(0))


@pytest.mark.parametrize("wrong, reason", [
    (_raw, "you used raw counts"),
    (_no_norm, "you compared the smoothed counts directly"),
    (lambda X, y, a: -log_count_ratio(X, y, a), "the sign is flipped"),
    (lambda X, y, a: log_count_ratio(X, y, 1.0), "does not change with alpha"),
    (lambda X, y, a: log_count_ratio(X, y, a) + 0.1, "values differ from the reference"),
    (lambda X, y, a: np.asarray(log_count_ratio(sp.csr_matrix(X).toarray(), y, a)) if not sp.issparse(X)
     else np.log(np.asarray((X > 0).sum(0)) + a), "sparse"),
], ids=["raw-counts", "no-normalisation", "flipped-sign", "alpha-ignored", "off", "dense-only"])
def test_log_count_ratio_wrong_answers_say_why(wrong, reason, capsys):
    assert not ch01.check_log_count_ratio(wrong)
    out = _out(capsys)
    assert "not yet" in out and reason in out and "hint:" in out


@pytest.mark.parametrize("shortcut, name", [
    (lambda X, y, a: bow.log_count_ratio(X, y, a), "log_count_ratio"),
    (lambda X, y, a: bow.NBFeatureScaler(alpha=a).fit(X, y).r_, "NBFeatureScaler.fit"),
    (lambda X, y, a: bow.NBSVMClassifier(alpha=a).fit(X, y).scalers_[0].r_, "NBSVMClassifier.fit"),
    (lambda X, y, a: ch01._reference_ratio(X, y, a), "_reference_ratio"),
], ids=["bow.log_count_ratio", "NBFeatureScaler", "NBSVMClassifier", "the check's reference"])
def test_log_count_ratio_refuses_the_course_helpers(shortcut, name, capsys):
    assert not ch01.check_log_count_ratio(shortcut)
    out = _out(capsys)
    assert "not yet" in out and "calls" in out and name in out, out


def test_log_count_ratio_refuses_naive_bayes_log_probabilities(capsys):
    from sklearn.naive_bayes import MultinomialNB

    def via_nb(X, y, alpha):
        nb = MultinomialNB(alpha=alpha).fit((X > 0).astype(float), y)
        return nb.feature_log_prob_[1] - nb.feature_log_prob_[0]

    assert not ch01.check_log_count_ratio(via_nb)
    assert "Naive Bayes" in _out(capsys)


# --- 1.2 the misclassified negations ---------------------------------------------------------------------------------

TEXTS = ["not good", "fine", "never boring", "a good film", "no", "i did n't like it"]
Y_TRUE = np.array([0, 1, 1, 1, 0, 0])
Y_PRED = np.array([1, 0, 0, 0, 0, 1])
KW = dict(texts=TEXTS, y_true=Y_TRUE, y_pred=Y_PRED)


def negation_errors(texts, y_true, y_pred):  # the chapter's solution
    negated = ea.tag_phenomena(texts)["negation"].to_numpy()
    wrong = np.asarray(y_pred) != np.asarray(y_true)
    return np.flatnonzero(negated & wrong).tolist()


def test_negation_errors_solution_passes(capsys):
    assert ch01.check_misclassified_negations(negation_errors, **KW)
    out = _out(capsys)
    assert "correct" in out and "3 of the 6 texts" in out


def test_negation_errors_not_attempted(capsys):
    assert not ch01.check_misclassified_negations(None, **KW)
    assert "not attempted" in _out(capsys)


@pytest.mark.parametrize("wrong, reason", [
    (lambda t, yt, yp: np.flatnonzero(np.asarray(yt) != np.asarray(yp)).tolist(), "has no negation word"),
    (lambda t, yt, yp: np.flatnonzero(ea.tag_phenomena(t)["negation"].to_numpy()).tolist(), "gets text"),
    (lambda t, yt, yp: negation_errors(t, yt, yp)[:3], "are missing"),
    (lambda t, yt, yp: [i for i, s in enumerate(t) if s.split()[0] in ("not", "never", "no") and yt[i] != yp[i]],
     "are missing"),
    (lambda t, yt, yp: negation_errors(t, yt, yp) * 2, "repeats a position"),
    (lambda t, yt, yp: [t[i] for i in negation_errors(t, yt, yp)], "must be an integer index"),
    ([0, 2, 5], "expected a function"),
], ids=["all-errors", "all-negations", "first-three", "own-word-list", "duplicates", "texts-not-positions", "a-list"])
def test_negation_errors_wrong_answers_say_why(wrong, reason, capsys):
    assert not ch01.check_misclassified_negations(wrong, **KW)
    out = _out(capsys)
    assert "not yet" in out and reason in out, out


def test_negation_errors_refuses_misclassified(capsys):
    def via_helper(texts, y_true, y_pred):
        return list(ea.misclassified(texts, y_true, y_pred, phenomenon="negation", n=None).index)

    assert not ch01.check_misclassified_negations(via_helper, **KW)
    assert "calls misclassified" in _out(capsys)


def test_negation_errors_misuse_is_a_usage_error():
    with pytest.raises(TypeError, match="texts, y_true and y_pred are required"):
        ch01.check_misclassified_negations(negation_errors)


# --- 1.3 mark the scope of a negation ---------------------------------------------------------------------------------

NEGATORS = {"not", "no", "never", "nothing", "cannot", "n't"}


def mark_negation(text):  # the chapter's solution
    out, negated = [], False
    for tok in text.split():
        if tok.strip(".,!?;:") == "":
            negated = False
            out.append(tok)
        elif negated:
            out.append(tok + "_NEG")
        else:
            out.append(tok)
            negated = tok.lower() in NEGATORS or tok.lower().endswith("n't")
    return " ".join(out)


def _no_scope_end(text):  # never stops at punctuation
    out, neg = [], False
    for tok in text.split():
        out.append(tok + "_NEG" if neg else tok)
        neg = neg or tok in NEGATORS or tok.endswith("n't")
    return " ".join(out)


def _marks_negator(text):  # marks the negator that opens the scope too
    out, neg = [], False
    for tok in text.split():
        if tok.strip(".,!?;:") == "":
            neg = False
            out.append(tok)
            continue
        neg = neg or tok in NEGATORS or tok.endswith("n't")
        out.append(tok + "_NEG" if neg else tok)
    return " ".join(out)


def _exact_negators_only(text):  # forgets tokens ending in n't ("isn't")
    out, neg = [], False
    for tok in text.split():
        if tok.strip(".,!?;:") == "":
            neg = False
            out.append(tok)
        elif neg:
            out.append(tok + "_NEG")
        else:
            out.append(tok)
            neg = tok in NEGATORS
    return " ".join(out)


@pytest.mark.parametrize("wrong, reason", [
    (_no_scope_end, "they end the scope"),
    (_marks_negator, "the negator that opens a scope keeps its own form"),
    (_exact_negators_only, "a token ending in n't is one"),
    (lambda t: t, "expected"),
    (lambda t: t.split(), "expected a string"),
], ids=["no-scope-end", "marks-the-negator", "exact-negators-only", "unchanged", "a-list"])
def test_mark_negation_wrong_answers_say_why(wrong, reason, capsys):
    assert not ch01.check_mark_negation(wrong)
    out = _out(capsys)
    assert "not yet" in out and reason in out, out


def test_mark_negation_refuses_the_checks_reference(capsys):
    assert not ch01.check_mark_negation(lambda t: ch01._reference_mark_negation(t))
    assert "calls _reference_mark_negation" in _out(capsys)


# --- 1.4 how much smoothing? (experiment, read from the results store) -------------------------------------------------

DEV_ACC = {0.1: 0.7970, 0.3: 0.8121, 1.0: 0.8114, 3.0: 0.8064, 10.0: 0.7579}
N_FIT = 5536  # 80% of SST-2's 6,920 training sentences: 1,384 dev sentences


@pytest.fixture
def store(tmp_path, monkeypatch):
    """An empty results store for this test, in the smoke profile."""
    monkeypatch.setenv("COURSE_RESULTS", str(tmp_path / "results.csv"))
    monkeypatch.setenv("COURSE_PROFILE", "smoke")
    return tmp_path / "results.csv"


def _record(acc=DEV_ACC, n_train=N_FIT, **over):
    import course_utils as cu

    for alpha, value in acc.items():
        row = dict(chapter="01", experiment=ch01.ALPHA_EXPERIMENT, model=f"MultinomialNB (uni+bigrams, counts, "
                   f"alpha={alpha:g})", dataset="sst2", split="dev", metric="accuracy", value=value, n_train=n_train)
        row.update(over)
        cu.record_result(**row)


RIGHT = {"best_alpha": 0.3, "gain": 0.8121 - 0.8114, "beyond_one_se": False}


def test_smoothing_solution_passes(store, capsys):
    _record()
    assert ch01.check_smoothing(RIGHT)
    out = _out(capsys)
    assert "correct" in out and "1,384 dev sentences" in out and "not larger than the noise" in out


def test_smoothing_beyond_noise_when_the_gain_is_large(store):
    _record({0.1: 0.70, 1.0: 0.75, 3.0: 0.80})
    assert ch01.check_smoothing({"best_alpha": 3, "gain": 0.05, "beyond_one_se": True})
    assert not ch01.check_smoothing({"best_alpha": 3, "gain": 0.05, "beyond_one_se": False})


def test_smoothing_not_attempted(store, capsys):
    assert not ch01.check_smoothing(None)
    assert "not attempted" in _out(capsys)


@pytest.mark.parametrize("wrong, reason", [
    ({**RIGHT, "best_alpha": 1.0}, "is not the setting with the highest dev accuracy"),
    ({**RIGHT, "gain": 0.07}, "looks like percentage points"),
    ({**RIGHT, "gain": -0.0007}, "wrong sign"),
    ({**RIGHT, "gain": 0.8121 - 0.7579}, "does not match your recorded rows"),
    ({**RIGHT, "beyond_one_se": True}, "standard error"),
    ({**RIGHT, "beyond_one_se": "no"}, "should be True or False"),
    ({"best_alpha": 0.3, "gain": 0.0007}, "has no ['beyond_one_se']"),
    (0.3, "expected a dict"),
], ids=["not-the-best", "percentage-points", "sign", "best-minus-worst", "noise-verdict", "not-a-bool",
        "missing-key", "a-number"])
def test_smoothing_wrong_answers_say_why(store, wrong, reason, capsys):
    _record()
    assert not ch01.check_smoothing(wrong)
    out = _out(capsys)
    assert "not yet" in out and reason in out, out


def test_smoothing_needs_the_recorded_rows(store, capsys):
    assert not ch01.check_smoothing(RIGHT)  # nothing recorded: the experiment was not run
    assert "no rows of experiment" in _out(capsys)
    _record({0.3: 0.81, 3.0: 0.80})  # no alpha=1 reference
    assert not ch01.check_smoothing(RIGHT)
    assert "alpha=1" in _out(capsys)


def test_smoothing_rows_must_be_from_the_fit_part(store, capsys):
    _record(n_train=6920)  # fitted on the whole train split: the dev rows were not held out
    assert not ch01.check_smoothing(RIGHT)
    assert "same n_train" in _out(capsys)


def test_smoothing_rows_of_another_profile_do_not_count(store, monkeypatch, capsys):
    _record()
    monkeypatch.setenv("COURSE_PROFILE", "cpu")
    assert not ch01.check_smoothing(RIGHT)
    assert "in profile 'cpu'" in _out(capsys)


@pytest.mark.parametrize("check, solution", [
    (ch01.check_log_count_ratio, log_count_ratio),
    (ch01.check_mark_negation, mark_negation),
])
def test_solution_passes_and_none_is_not_attempted(check, solution, capsys):
    assert_solution_passes_and_none_is_not_attempted(check, solution, capsys)
