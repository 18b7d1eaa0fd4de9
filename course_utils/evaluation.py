"""Metrics (scikit-learn, the reference implementations) and timing."""
from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Iterator, Mapping, Sequence

import numpy as np


def classification_metrics(y_true: Sequence[int], y_pred: Sequence[int]) -> dict[str, float]:
    """``{"accuracy", "f1" (macro), "n"}`` from integer labels and predictions of equal length."""
    from sklearn.metrics import accuracy_score, f1_score

    y_true, y_pred = _labels_1d("y_true", y_true), _labels_1d("y_pred", y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred must have the same shape, got {y_true.shape} and {y_pred.shape}")
    if y_true.size == 0:
        raise ValueError("y_true is empty")
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "f1": float(f1_score(y_true, y_pred, average="macro")),
        "n": int(y_true.size),
    }


def _labels_1d(name: str, values) -> np.ndarray:
    """``values`` as a 1-D array of labels (torch tensors, lists and Series accepted)."""
    if hasattr(values, "detach"):
        values = values.detach().cpu().numpy()
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one label per example), got shape {arr.shape}; for logits use "
                         f"logits.argmax(-1)")
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or inf: pass class labels, not missing values")
    return arr


class Timer:
    """``with timer() as t: ...``; then ``t.seconds``."""

    seconds: float = 0.0


@contextmanager
def timer() -> Iterator[Timer]:
    t = Timer()
    start = time.perf_counter()
    try:
        yield t
    finally:
        t.seconds = time.perf_counter() - start


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (ddof=1; 0.0 for a single value)."""
    try:
        arr = np.asarray(values, dtype=float).ravel()
    except (TypeError, ValueError):
        raise TypeError(f"values must be a list of numbers, got {str(values)[:60]}") from None
    if not np.isfinite(arr).all():
        raise ValueError(f"values must be finite numbers, got {arr.tolist()[:8]}")
    if arr.size == 0:
        raise ValueError("mean_std needs at least one value")
    return float(arr.mean()), float(arr.std(ddof=1)) if arr.size > 1 else 0.0


def binomial_se(accuracy: float, n: int) -> float:
    """Standard error of an accuracy measured on ``n`` independent examples: sqrt(p (1 - p) / n)."""
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n must be the number of evaluated examples (a whole number >= 1), got {n!r}")
    p = float(accuracy)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"accuracy must be in [0, 1], got {p}")
    return float(np.sqrt(p * (1 - p) / n))


def noise_verdict(accuracies: Sequence[float], n: int, k: float = 2.0) -> str:
    """Do accuracies measured on the same ``n`` examples agree within noise? Compares their spread (max - min) with
    ``k`` binomial standard errors of their mean and returns one sentence with both numbers and the verdict."""
    mean, _ = mean_std(accuracies)
    spread = float(np.max(accuracies) - np.min(accuracies))
    bound = k * binomial_se(mean, n)
    verdict = "within noise" if spread <= bound else "LARGER than noise"
    return f"spread {spread:.4f} vs {k:g} standard errors {bound:.4f} (n = {n}): {verdict}"


def verdicts_vs_best(means: Mapping[str, float], noise: float, k: float = 2.0) -> dict[str, str]:
    """One verdict per model from mean scores over seeds: ``"best"``, ``"within k std of the best: no evidence of a
    difference"`` or ``"behind the best by X std"``, where ``noise`` is the seed standard deviation to judge by
    (e.g. the largest over the models). Gaps smaller than ``k`` of them are not evidence."""
    if not means:
        raise ValueError("means is empty: pass {model name: mean score}")
    noise = float(noise)
    if not np.isfinite(noise) or noise < 0:
        raise ValueError(f"noise must be a finite standard deviation >= 0, got {noise}")
    noise = max(noise, 1e-9)
    best = max(means, key=lambda name: means[name])
    out = {}
    for name, m in means.items():
        gap = float(means[best]) - float(m)
        out[name] = ("best" if name == best else f"within {k:g} std of the best: no evidence of a difference"
                     if gap < k * noise else f"behind the best by {gap / noise:.1f} std")
    return out
