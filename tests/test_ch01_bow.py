"""Tests for chapter 01's helpers: course_utils.bow (NB-SVM, the BoW baseline) and its exercise checks."""
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.naive_bayes import MultinomialNB
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC

from course_utils import bow
from course_utils.checks import ch01

POS = ["a great film", "great acting and a fine story", "i loved it , great", "fine and fun", "loved the cast"]
NEG = ["a bad film", "bad acting and a dull story", "i hated it , bad", "dull and boring", "hated the cast"]
TEXTS, LABELS = POS + NEG, np.array([1] * 5 + [0] * 5)


def _counts():
    cv = CountVectorizer()
    return cv, cv.fit_transform(TEXTS)


def test_log_count_ratio_matches_naive_bayes_on_binary_features():
    _, X = _counts()
    r = bow.log_count_ratio(X, LABELS, alpha=1.0)
    mnb = MultinomialNB(alpha=1.0).fit((X > 0).astype(float), LABELS)
    np.testing.assert_allclose(r, mnb.feature_log_prob_[1] - mnb.feature_log_prob_[0], atol=1e-10)


def test_log_count_ratio_binarizes_and_signs():
    X = np.array([[5, 0], [1, 0], [0, 1]])
    r = bow.log_count_ratio(X, np.array([1, 1, 0]))
    # feature 0: 2 positive docs (not 6 counts), feature 1: 1 negative doc
    p, q = np.array([3.0, 1.0]), np.array([1.0, 2.0])
    np.testing.assert_allclose(r, np.log(p / p.sum()) - np.log(q / q.sum()))
    assert r[0] > 0 > r[1]


@pytest.mark.parametrize("kwargs, word", [({"alpha": 0}, "alpha"), ({"alpha": -1}, "alpha")])
def test_log_count_ratio_rejects_bad_alpha(kwargs, word):
    _, X = _counts()
    with pytest.raises(ValueError, match=word):
        bow.log_count_ratio(X, LABELS, **kwargs)


def test_log_count_ratio_rejects_one_class_and_length_mismatch():
    _, X = _counts()
    with pytest.raises(ValueError, match="both"):
        bow.log_count_ratio(X, np.ones(10, int))
    with pytest.raises(ValueError, match="rows"):
        bow.log_count_ratio(X, LABELS[:5])


def test_nbsvm_equals_scaler_plus_linearsvc():
    _, X = _counts()
    pipe = make_pipeline(bow.NBFeatureScaler(), LinearSVC(C=0.5, max_iter=5000)).fit(X, LABELS)
    clf = bow.NBSVMClassifier(C=0.5).fit(X, LABELS)
    np.testing.assert_allclose(clf.decision_function(X), pipe.decision_function(X), atol=1e-4)  # liblinear tol
    assert (clf.predict(X) == LABELS).all()


def test_nbsvm_string_labels_and_multiclass():
    _, X = _counts()
    y = np.where(LABELS == 1, "pos", "neg")
    assert set(bow.NBSVMClassifier().fit(X, y).predict(X)) <= {"pos", "neg"}
    y3 = np.array([0, 0, 1, 1, 2, 2, 0, 1, 2, 2])
    clf = bow.NBSVMClassifier(C=1.0, classifier="logreg").fit(X, y3)
    assert clf.coef_.shape == (3, X.shape[1])
    assert clf.decision_function(X).shape == (10, 3)
    assert (clf.predict(X) == y3).mean() > 0.5


def test_nbsvm_and_scaler_validate_arguments():
    _, X = _counts()
    with pytest.raises(ValueError, match="classifier"):
        bow.NBSVMClassifier(classifier="tree").fit(X, LABELS)
    with pytest.raises(ValueError, match="C must"):
        bow.NBSVMClassifier(C=0).fit(X, LABELS)
    with pytest.raises(ValueError, match="2 classes"):
        bow.NBFeatureScaler().fit(X, np.arange(10) % 3)
    scaler = bow.NBFeatureScaler().fit(X, LABELS)
    with pytest.raises(ValueError, match="features"):
        scaler.transform(sp.csr_matrix((2, X.shape[1] + 1)))


def test_fit_bow_baseline_and_best_pipeline():
    pipe = bow.fit_bow_baseline(TEXTS, LABELS, dataset="imdb")
    assert list(pipe.predict(["great fun", "dull and bad"])) == [1, 0]
    w = bow.ngram_weights(pipe)
    assert w["great"] > 0 > w["bad"]
    mnb = bow.fit_bow_baseline(TEXTS, LABELS, dataset="sst2")
    assert bow.ngram_weights(mnb)["loved"] > 0
    assert bow.best_bow_pipeline("sst2", model="nbsvm", C=1.0).steps[-1][1].C == 1.0
    assert bow.clean_text("Good<br />Film") == "good film"


@pytest.mark.parametrize("call, word", [
    (lambda: bow.best_bow_pipeline("trec2"), "dataset"),
    (lambda: bow.best_bow_pipeline("sst2", kernel="rbf"), "override"),
    (lambda: bow.best_bow_pipeline("sst2", model="tree"), "model"),
    (lambda: bow.fit_bow_baseline(TEXTS, LABELS[:3]), "same length"),
    (lambda: bow.ngram_weights("not a pipeline"), "pipeline"),
    (lambda: bow.ngram_weights(make_pipeline(CountVectorizer(), MultinomialNB()).fit(TEXTS, np.arange(10) % 3)), "binary"),
])
def test_helpers_raise_clear_value_errors(call, word):
    with pytest.raises(ValueError, match=word):
        call()


# --- exercise checks: a right answer passes, wrong answers fail ---------------------------------------------------


def test_fit_bow_baseline_rejects_a_single_string():
    with pytest.raises(TypeError, match="texts must be a list of strings.*wrap it in a list"):
        bow.fit_bow_baseline("a text", [1])


def test_nbsvm_fits_imdb_size_sparse_data_quickly():
    import time

    rng = np.random.default_rng(0)
    n, f, per = 25_000, 200_000, 200
    rows, cols = np.repeat(np.arange(n), per), rng.integers(0, f, n * per)
    X = sp.csr_matrix((rng.integers(1, 4, n * per), (rows, cols)), shape=(n, f))
    y = rng.integers(0, 2, n)
    start = time.perf_counter()
    clf = bow.NBSVMClassifier(C=0.01).fit(X, y)
    assert clf.predict(X[:10]).shape == (10,)
    assert time.perf_counter() - start < 60
