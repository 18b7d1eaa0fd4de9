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

from typing import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import MultinomialNB
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC
from sklearn.utils.validation import check_is_fitted

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


def _binary_labels(y) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y must be a 1-D array of labels, got shape {y.shape}")
    return y


def log_count_ratio(X, y, alpha: float = 1.0, positive=1) -> np.ndarray:
    """Log-count ratio ``r`` of every feature, shape ``(n_features,)``.

    ``X``: (n_docs, n_features) counts (sparse or dense; binarized here: a word counts once per document);
    ``y``: (n_docs,) labels; ``positive``: the label treated as positive, every other label is negative.
    ``r_j > 0`` means feature j is more frequent (after smoothing with ``alpha``) in positive documents.
    """
    if alpha <= 0:
        raise ValueError(f"alpha must be > 0 (it smooths zero counts), got {alpha}")
    y = _binary_labels(y)
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]} labels")
    Xb = (sp.csr_matrix(X) > 0).astype(np.float64)
    pos = y == positive
    if pos.all() or not pos.any():
        raise ValueError(f"y must contain both the positive label {positive!r} and other labels")
    p = alpha + np.asarray(Xb[pos].sum(axis=0)).ravel()
    q = alpha + np.asarray(Xb[~pos].sum(axis=0)).ravel()
    return np.log(p / p.sum()) - np.log(q / q.sum())


class NBFeatureScaler(TransformerMixin, BaseEstimator):
    """Transformer: ``X -> binarize(X) * r`` with ``r = log_count_ratio(X, y)`` learnt in ``fit`` (binary y only).

    Input and output: (n_docs, n_features) sparse matrices. ``r_`` holds the ratios, ``classes_`` the two labels
    (``r_`` > 0 favours ``classes_[1]``).
    """

    def __init__(self, alpha: float = 1.0):
        self.alpha = alpha

    def fit(self, X, y):
        y = _binary_labels(y)
        classes = np.unique(y)
        if len(classes) != 2:
            raise ValueError(f"y must have exactly 2 classes for NBFeatureScaler, got {len(classes)}: {classes[:10]}")
        self.classes_ = classes
        self.r_ = log_count_ratio(X, y, self.alpha, positive=classes[1])
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        check_is_fitted(self, "r_")
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features but the scaler was fitted on {self.n_features_in_}")
        return (sp.csr_matrix(X) > 0).astype(np.float64).multiply(self.r_).tocsr()


class NBSVMClassifier(ClassifierMixin, BaseEstimator):
    """NB-SVM on count features: ``NBFeatureScaler`` then a linear SVM (``classifier="svm"``) or logistic
    regression (``"logreg"``). Binary labels; more classes are handled one-vs-rest (one ``r`` per class).

    ``X``: (n_docs, n_features) counts from a ``CountVectorizer``; ``C``: inverse regularisation strength.
    After ``fit``: ``coef_`` (n_models, n_features) = linear weights times ``r`` (weights on binary features).
    """

    def __init__(self, C: float = 0.1, alpha: float = 1.0, classifier: str = "svm", max_iter: int = 5000):
        self.C, self.alpha, self.classifier, self.max_iter = C, alpha, classifier, max_iter

    def _linear(self):
        if self.classifier == "svm":
            return LinearSVC(C=self.C, max_iter=self.max_iter)
        if self.classifier == "logreg":
            return LogisticRegression(C=self.C, max_iter=self.max_iter, solver="liblinear")
        raise ValueError(f"classifier must be 'svm' or 'logreg', got {self.classifier!r}")

    def fit(self, X, y):
        if self.C <= 0:
            raise ValueError(f"C must be > 0, got {self.C}")
        y = _binary_labels(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise ValueError("y must contain at least 2 classes")
        binary = len(self.classes_) == 2
        targets = self.classes_[1:] if binary else self.classes_
        self.scalers_, self.models_ = [], []
        for c in targets:
            yc = (y == c).astype(int)
            scaler = NBFeatureScaler(self.alpha).fit(X, yc)
            self.scalers_.append(scaler)
            self.models_.append(self._linear().fit(scaler.transform(X), yc))
        self.coef_ = np.vstack([m.coef_.ravel() * s.r_ for s, m in zip(self.scalers_, self.models_)])
        self.intercept_ = np.array([float(np.ravel(m.intercept_)[0]) for m in self.models_])
        self.n_features_in_ = X.shape[1]
        return self

    def decision_function(self, X):
        """(n_docs,) scores for binary labels (> 0 means ``classes_[1]``), else (n_docs, n_classes)."""
        check_is_fitted(self, "coef_")
        Xb = (sp.csr_matrix(X) > 0).astype(np.float64)
        scores = np.asarray(Xb @ self.coef_.T) + self.intercept_
        return scores.ravel() if len(self.classes_) == 2 else scores

    def predict(self, X):
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
    if dataset not in BEST_CONFIG:
        raise ValueError(f"dataset must be one of {sorted(BEST_CONFIG)}, got {dataset!r}")
    unknown = set(overrides) - {"ngram_range", "model", "C", "alpha"}
    if unknown:
        raise ValueError(f"unknown override(s) {sorted(unknown)}; allowed: ngram_range, model, C, alpha")
    cfg = {"C": 0.1, "alpha": 1.0, **BEST_CONFIG[dataset], **overrides}
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


def fit_bow_baseline(texts: Sequence[str], labels: Sequence[int], dataset: str = "sst2") -> Pipeline:
    """Fit ``best_bow_pipeline(dataset)`` on ``texts`` (list of str) and ``labels`` (ints); return the pipeline.

    Seconds on SST-2 (6,920 sentences), about a minute on IMDB (25,000 reviews) on one CPU core.
    """
    if isinstance(texts, str) or len(texts) == 0:
        raise ValueError("texts must be a non-empty list of strings")
    if len(texts) != len(labels):
        raise ValueError(f"texts and labels must have the same length, got {len(texts)} and {len(labels)}")
    if not all(isinstance(t, str) for t in texts):
        raise ValueError("texts must contain only strings")
    return best_bow_pipeline(dataset).fit(list(texts), np.asarray(labels))


def ngram_weights(pipeline: Pipeline):
    """pandas Series: one linear weight per n-gram of a fitted ``Pipeline`` whose first step is a vectorizer.

    Positive weights push towards the last class. The last step may be ``NBSVMClassifier``, a linear model
    (``coef_``) or ``MultinomialNB`` (log-probability difference); steps in between must not reorder features.
    """
    import pandas as pd

    if not isinstance(pipeline, Pipeline) or not hasattr(pipeline.steps[0][1], "get_feature_names_out"):
        raise ValueError("pipeline must be a fitted sklearn Pipeline that starts with a CountVectorizer/TfidfVectorizer")
    clf = pipeline.steps[-1][1]
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
