"""Metrics (scikit-learn, the reference implementations) and timing."""
from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Iterator, Sequence

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
