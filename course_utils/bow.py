"""Bag-of-words baselines (chapter 01): NB-SVM as scikit-learn estimators, and the course's BoW baseline.

>>> pipe = fit_bow_baseline(train_texts, train_labels)     # fitted Pipeline: raw text -> label
>>> pipe.predict(["not good at all", "a small gem"])
>>> ngram_weights(pipe).sort_values().tail(10)             # the n-grams that push hardest to the last class

NB-SVM (Wang & Manning 2012, "Baselines and Bigrams", https://aclanthology.org/P12-2018/): binarize the
count features, scale each one by its log-count ratio ``r = log((p/|p|_1) / (q/|q|_1))`` with
``p = alpha + sum of the feature over positive documents`` and ``q`` the same over negatives, then train a linear
SVM (or logistic regression) on the scaled features. We use the plain variant without the paper's weight
interpolation (beta = 1), which is as good or better on IMDB.
"""
from __future__ import annotations

import numbers
from typing import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import NotFittedError
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import MultinomialNB
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC
from sklearn.utils import ClassifierTags
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from .arguments import check_texts

__all__ = [
    "BEST_CONFIG", "NBFeatureScaler", "NBSVMClassifier", "best_bow_pipeline", "clean_text", "fit_bow_baseline",
    "log_count_ratio", "ngram_weights",
]

# What chapter 01's model selection (on a held-out 20% of the training split) chose, per dataset.
# "model": "nbsvm" (NBSVMClassifier with C) or "mnb" (MultinomialNB with alpha on raw counts).
BEST_CONFIG: dict[str, dict] = {
    "sst2": {"ngram_range": (1, 2), "model": "mnb", "alpha": 1.0},
    "imdb": {"ngram_range": (1, 2), "model": "nbsvm", "C": 0.01},
}


def clean_text(text: str) -> str:
    """Lower-case and replace IMDB's ``<br />`` line breaks by spaces (the CountVectorizer preprocessor)."""
    return text.replace("<br />", " ").lower()


def _reject_raw_text(X, who: str) -> None:
    """Raw text given where a count matrix is expected: say to vectorize first."""
    first = X if isinstance(X, str) else (X[0] if isinstance(X, (list, tuple)) and len(X) else None)
    if isinstance(first, str):
        raise TypeError(
            f"{who}: X must be a (n_docs, n_features) count matrix, got raw text. Fix: vectorize first, e.g. "
            f"make_pipeline(CountVectorizer(), {who}()), or use fit_bow_baseline(texts, labels)"
        )


def _check_counts(X, who: str) -> None:
    """Counts are never negative: the features are binarized (``X > 0``), so negative values would be lost."""
    values = X.data if sp.issparse(X) else X
    if values.size and values.min() < 0:
        raise ValueError(f"Negative values in data passed to {who}: X must hold word counts (>= 0), e.g. from "
                         "CountVectorizer; standardised or embedding features do not fit NB-SVM")


def _validated_counts(estimator, X, y=None, fit: bool = False):
    """sklearn's input checks plus the course's for an NB-SVM estimator: ``X`` holds counts (sparse or dense), not
    raw text. ``fit=False`` (predicting): ``X`` must have the fitted number of features; returns ``X``.
    ``fit=True``: returns ``(X, y)``, ``y`` as class labels with at least 2 classes."""
    who = type(estimator).__name__
    _reject_raw_text(X, who)
    if fit:
        X, y = validate_data(estimator, X, y, accept_sparse=("csr", "csc", "coo"), dtype="numeric")
    else:
        X = validate_data(estimator, X, accept_sparse=("csr", "csc", "coo"), dtype="numeric", reset=False)
    _check_counts(X, who)
    return (X, _labels(y, who)) if fit else X


def _labels(y, who: str) -> np.ndarray:
    """``y`` as a 1-D array of class labels (ints or strings), with at least 2 classes."""
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"{who}: y must be a 1-D array of labels, got shape {y.shape}")
    check_classification_targets(y)
    n_classes = len(np.unique(y))
    if n_classes < 2:
        raise ValueError(f"{who}: y has {n_classes} class; it needs at least 2 classes (both labels present)")
    return y


def _positive_number(name: str, value, who: str) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{who}: {name} must be a number, got {type(value).__name__} {value!r}")
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{who}: {name} must be a finite number > 0, got {value!r}")


def log_count_ratio(X, y, alpha: float = 1.0, positive=1) -> np.ndarray:
    """Log-count ratio ``r`` of every feature, shape ``(n_features,)``.

    ``X``: (n_docs, n_features) counts (sparse or dense; binarized here: a word counts once per document);
    ``y``: (n_docs,) labels; ``positive``: the label treated as positive, every other label is negative.
    ``r_j > 0`` means feature j is more frequent (after smoothing with ``alpha``) in positive documents.
    """
    _positive_number("alpha", alpha, "log_count_ratio")
    if alpha <= 0:
        raise ValueError(f"alpha must be > 0 (it smooths zero counts), got {alpha}")
    _reject_raw_text(X, "log_count_ratio")
    X = check_array(X, accept_sparse=("csr", "csc", "coo"), dtype="numeric", input_name="X")
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y must be a 1-D array of labels, got shape {y.shape}")
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]} labels: give one label per document")
    _check_counts(X, "log_count_ratio")
    Xb = (sp.csr_matrix(X) > 0).astype(np.float64)
    pos = y == positive
    if pos.all() or not pos.any():
        raise ValueError(f"y must contain both the positive label {positive!r} and other labels")
    p = alpha + np.asarray(Xb[pos].sum(axis=0)).ravel()
    q = alpha + np.asarray(Xb[~pos].sum(axis=0)).ravel()
    return np.log(p / p.sum()) - np.log(q / q.sum())


def _binarize(X) -> sp.csr_matrix:
    return (sp.csr_matrix(X) > 0).astype(np.float64)


class NBFeatureScaler(TransformerMixin, BaseEstimator):
    """Transformer: ``X -> binarize(X) * r`` with ``r = log_count_ratio(X, y)`` learnt in ``fit`` (binary y only).

    Input: (n_docs, n_features) non-negative counts, sparse or dense; output: a CSR float64 matrix. ``r_`` holds the
    ratios, ``classes_`` the two labels (``r_`` > 0 favours ``classes_[1]``). For more classes use
    ``NBSVMClassifier`` (one-vs-rest, one ``r`` per class).
    """

    def __init__(self, alpha: float = 1.0):
        self.alpha = alpha

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True  # made for CountVectorizer output
        tags.input_tags.positive_only = True  # counts; negative values would be lost by the binarization
        tags.target_tags.required = True  # r needs the labels
        # The log-count ratio compares exactly two classes: declare it so the checks give binary targets.
        tags.classifier_tags = ClassifierTags(multi_class=False)
        return tags

    def fit(self, X, y):
        """Learn ``r_`` from counts ``X`` (n_docs, n_features) and binary labels ``y`` (n_docs,)."""
        _positive_number("alpha", self.alpha, "NBFeatureScaler")
        X, y = _validated_counts(self, X, y, fit=True)
        classes = np.unique(y)
        if len(classes) != 2:
            raise ValueError(f"y must have exactly 2 classes for NBFeatureScaler, got {len(classes)}: "
                             f"{classes[:10]}. Fix: use NBSVMClassifier, which handles more classes one-vs-rest")
        self.classes_ = classes
        self.r_ = log_count_ratio(X, y, self.alpha, positive=classes[1])
        return self

    def transform(self, X):
        """``binarize(X) * r_`` as a CSR matrix, shape (n_docs, n_features)."""
        check_is_fitted(self, "r_")
        X = _validated_counts(self, X)
        return _binarize(X).multiply(self.r_).tocsr()


class NBSVMClassifier(ClassifierMixin, BaseEstimator):
    """NB-SVM on count features: ``NBFeatureScaler`` then a linear SVM (``classifier="svm"``) or logistic
    regression (``"logreg"``). Binary labels; more classes are handled one-vs-rest (one ``r`` per class).

    ``X``: (n_docs, n_features) non-negative counts from a ``CountVectorizer`` (sparse or dense); ``C``: inverse
    regularisation strength. After ``fit``: ``coef_`` (n_models, n_features) = linear weights times ``r`` (weights
    on binary features), ``intercept_`` (n_models,), ``n_iter_`` (most solver iterations over the models).
    """

    def __init__(self, C: float = 0.1, alpha: float = 1.0, classifier: str = "svm", max_iter: int = 5000):
        self.C, self.alpha, self.classifier, self.max_iter = C, alpha, classifier, max_iter

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True  # made for CountVectorizer output
        tags.input_tags.positive_only = True  # counts; negative values would be lost by the binarization
        # Features are binarized (present / absent): on the checks' continuous blobs that throws the values away.
        tags.classifier_tags.poor_score = True
        return tags

    def _check_params(self) -> None:
        _positive_number("C", self.C, "NBSVMClassifier")
        _positive_number("alpha", self.alpha, "NBSVMClassifier")
        if self.classifier not in ("svm", "logreg"):
            raise ValueError(f"NBSVMClassifier: classifier must be 'svm' or 'logreg', got {self.classifier!r}")
        if isinstance(self.max_iter, bool) or not isinstance(self.max_iter, numbers.Integral) or self.max_iter < 1:
            raise ValueError(f"NBSVMClassifier: max_iter must be a positive integer, got {self.max_iter!r}")

    def _linear(self):
        if self.classifier == "svm":
            return LinearSVC(C=self.C, max_iter=self.max_iter)
        return LogisticRegression(C=self.C, max_iter=self.max_iter, solver="liblinear")

    def fit(self, X, y):
        """Fit one NB-scaled linear model (binary y) or one per class (one-vs-rest)."""
        self._check_params()
        X, y = _validated_counts(self, X, y, fit=True)
        X = sp.csr_matrix(X)
        self.classes_ = np.unique(y)
        targets = self.classes_[1:] if len(self.classes_) == 2 else self.classes_
        self.scalers_, self.models_ = [], []
        for c in targets:
            yc = (y == c).astype(int)
            scaler = NBFeatureScaler(self.alpha).fit(X, yc)
            self.scalers_.append(scaler)
            self.models_.append(self._linear().fit(scaler.transform(X), yc))
        self.coef_ = np.vstack([m.coef_.ravel() * s.r_ for s, m in zip(self.scalers_, self.models_)])
        self.intercept_ = np.array([float(np.ravel(m.intercept_)[0]) for m in self.models_])
        self.n_iter_ = max(int(np.max(m.n_iter_)) for m in self.models_)
        return self

    def decision_function(self, X):
        """(n_docs,) scores for binary labels (> 0 means ``classes_[1]``), else (n_docs, n_classes)."""
        check_is_fitted(self, "coef_")
        X = _validated_counts(self, X)
        scores = np.asarray(_binarize(X) @ self.coef_.T) + self.intercept_
        return scores.ravel() if len(self.classes_) == 2 else scores

    def predict(self, X):
        """(n_docs,) predicted labels (from ``classes_``)."""
        scores = self.decision_function(X)
        if len(self.classes_) == 2:
            return self.classes_[(scores > 0).astype(int)]
        return self.classes_[scores.argmax(axis=1)]


def best_bow_pipeline(dataset: str = "sst2", **overrides) -> Pipeline:
    """The (unfitted) BoW pipeline chapter 01 selected for ``dataset`` ("sst2" or "imdb"): text -> label.

    ``CountVectorizer`` (lower-cased, ``<br />`` removed) -> ``MultinomialNB`` or ``NBSVMClassifier``, as in
    ``BEST_CONFIG[dataset]``. ``overrides`` change its keys: ``ngram_range``, ``model`` ("nbsvm" or "mnb"),
    ``C`` (NB-SVM), ``alpha`` (MNB).
    """
    if not isinstance(dataset, str) or dataset not in BEST_CONFIG:
        raise ValueError(f"dataset must be one of {sorted(BEST_CONFIG)}, got {dataset!r}")
    unknown = set(overrides) - {"ngram_range", "model", "C", "alpha"}
    if unknown:
        raise ValueError(f"unknown override(s) {sorted(unknown)}; allowed: ngram_range, model, C, alpha")
    cfg = {"C": 0.1, "alpha": 1.0, **BEST_CONFIG[dataset], **overrides}
    _check_ngram_range(cfg["ngram_range"])
    if cfg["model"] == "mnb":
        clf = MultinomialNB(alpha=cfg["alpha"])
    elif cfg["model"] == "nbsvm":
        clf = NBSVMClassifier(C=cfg["C"])
    else:
        raise ValueError(f"model must be 'nbsvm' or 'mnb', got {cfg['model']!r}")
    return Pipeline([
        ("vec", CountVectorizer(ngram_range=tuple(cfg["ngram_range"]), preprocessor=clean_text)),
        ("clf", clf),
    ])


def _check_ngram_range(ngram_range) -> None:
    ok = (isinstance(ngram_range, (tuple, list)) and len(ngram_range) == 2
          and all(isinstance(n, numbers.Integral) and not isinstance(n, bool) for n in ngram_range)
          and 1 <= ngram_range[0] <= ngram_range[1])
    if not ok:
        raise ValueError(f"ngram_range must be a pair (min_n, max_n) with 1 <= min_n <= max_n, e.g. (1, 2), "
                         f"got {ngram_range!r}")


def fit_bow_baseline(texts: Sequence[str], labels: Sequence[int], dataset: str = "sst2") -> Pipeline:
    """Fit ``best_bow_pipeline(dataset)`` on ``texts`` (list of str) and ``labels`` (ints); return the pipeline.

    Seconds on SST-2 (6,920 sentences), about a minute on IMDB (25,000 reviews) on one CPU core.
    """
    texts = check_texts(texts, allow_blank=True)
    y = _check_text_labels(labels, len(texts))
    pipe = best_bow_pipeline(dataset)
    try:
        return pipe.fit(texts, y)
    except ValueError as exc:
        if "empty vocabulary" not in str(exc):
            raise
        raise ValueError("texts contain no words the vectorizer keeps (empty vocabulary): every text is blank or "
                         "punctuation. Fix: pass real sentences, e.g. dataset['sentence']") from None


def _check_text_labels(labels, n: int) -> np.ndarray:
    """One class label per text (ints or strings), at least two classes, no missing values."""
    if isinstance(labels, (str, bytes)) or not hasattr(labels, "__len__"):
        raise TypeError(f"labels must be a list of class labels, got {type(labels).__name__}")
    if len(labels) != n:
        raise ValueError(f"texts and labels must have the same length, got {n} and {len(labels)}")
    y = np.asarray(labels)
    if y.ndim != 1:
        raise ValueError(f"labels must be 1-D (one label per text), got shape {y.shape}")
    if y.dtype.kind == "f":
        if not np.isfinite(y).all():
            raise ValueError("labels contain NaN or inf: drop the rows without a label first")
        if not (y == np.round(y)).all():
            raise ValueError("labels must be class ids (0, 1, ...) or names, got fractional numbers")
        y = y.astype(np.int64)
    if y.dtype == object and any(v is None for v in y):
        raise ValueError("labels contain None: drop the rows without a label first")
    if len(np.unique(y.astype(str))) < 2:
        raise ValueError(f"labels hold only one class ({y[0]!r}): a classifier needs at least 2 classes")
    return y


def ngram_weights(pipeline: Pipeline):
    """pandas Series: one linear weight per n-gram of a fitted ``Pipeline`` whose first step is a vectorizer.

    Positive weights push towards the last class. The last step may be ``NBSVMClassifier``, a linear model
    (``coef_``) or ``MultinomialNB`` (log-probability difference); steps in between must not reorder features.
    """
    import pandas as pd

    if not isinstance(pipeline, Pipeline) or not hasattr(pipeline.steps[0][1], "get_feature_names_out"):
        raise ValueError("pipeline must be a fitted sklearn Pipeline that starts with a CountVectorizer/TfidfVectorizer")
    clf = pipeline.steps[-1][1]
    try:
        check_is_fitted(pipeline)
    except NotFittedError:
        raise ValueError("pipeline is not fitted yet: call pipeline.fit(texts, labels) (or use fit_bow_baseline) "
                         "before ngram_weights") from None
    if hasattr(clf, "feature_log_prob_"):
        if clf.feature_log_prob_.shape[0] != 2:
            raise ValueError(f"ngram_weights needs a binary classifier, got {clf.feature_log_prob_.shape[0]} classes")
        w = clf.feature_log_prob_[-1] - clf.feature_log_prob_[0]
    elif hasattr(clf, "coef_"):
        coef = np.asarray(clf.coef_)
        if coef.shape[0] != 1:
            raise ValueError(f"ngram_weights needs a binary classifier, got coef_ of shape {coef.shape}")
        w = coef.ravel()
    else:
        raise ValueError(f"the last step ({type(clf).__name__}) has neither coef_ nor feature_log_prob_")
    names = pipeline.steps[0][1].get_feature_names_out()
    if len(names) != len(w):
        raise ValueError(f"{len(names)} n-grams but {len(w)} weights: a step between vectorizer and classifier "
                         "changes the features")
    return pd.Series(np.asarray(w).ravel(), index=names, name="weight")
