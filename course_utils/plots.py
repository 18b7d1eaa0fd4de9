"""Plots the chapters share: confusion matrices, training curves, similarity heatmaps, bars with error bars."""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np


def _plt():
    import matplotlib.pyplot as plt

    return plt


def confusion_matrix_plot(y_true, y_pred, labels: Sequence[str], title: str = "", normalize: bool = True, ax=None):
    """Confusion matrix (rows = true, columns = predicted), normalised per true class by default."""
    from sklearn.metrics import confusion_matrix

    y_true, y_pred = np.asarray(y_true).ravel(), np.asarray(y_pred).ravel()
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError(f"y_true and y_pred must be non-empty and of equal length, got {y_true.size} and {y_pred.size}")
    if y_true.dtype.kind not in "iub" or y_pred.dtype.kind not in "iub":
        raise TypeError(f"y_true and y_pred must be integer class ids (0..{len(labels) - 1}), got "
                        f"{y_true.dtype} and {y_pred.dtype}; map names to ids first")
    outside = sorted({int(v) for v in np.concatenate([y_true, y_pred]) if not 0 <= int(v) < len(labels)})
    if outside:
        raise ValueError(f"labels names {len(labels)} classes (ids 0..{len(labels) - 1}) but the labels contain "
                         f"{outside[:5]}: pass one name per class, e.g. label_names('trec')")
    plt = _plt()
    cm = confusion_matrix(y_true, y_pred, labels=list(range(len(labels))))
    shown = cm / cm.sum(axis=1, keepdims=True).clip(min=1) if normalize else cm
    if ax is None:
        _, ax = plt.subplots(figsize=(1.1 * len(labels) + 2, 1.1 * len(labels) + 1.5))
    im = ax.imshow(shown, cmap="Blues", vmin=0, vmax=1 if normalize else None)
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for i in range(len(labels)):
        for j in range(len(labels)):
            text = f"{shown[i, j]:.2f}\n({cm[i, j]})" if normalize else str(cm[i, j])
            ax.text(j, i, text, ha="center", va="center", fontsize=8, color="white" if shown[i, j] > 0.6 * shown.max() else "black")
    ax.set_title(title or "confusion matrix")
    ax.figure.colorbar(im, ax=ax, fraction=0.046)
    ax.figure.tight_layout()
    return ax


def training_curves(history: Mapping[str, Sequence[float]] | Sequence[Mapping[str, float]], x: str = "epoch", title: str = ""):
    """Plot every metric in ``history`` against ``x``. Accepts a dict of lists or a list of dicts (one per step)."""
    if not history:
        raise ValueError("history is empty: pass a dict of lists (e.g. {'epoch': [1, 2], 'loss': [0.6, 0.4]}) "
                         "or a list of dicts, one per step")
    plt = _plt()
    if not isinstance(history, Mapping):
        keys = sorted({k for row in history for k in row})
        history = {k: [row.get(k, np.nan) for row in history] for k in keys}
    metrics = [k for k in history if k != x]
    xs = history.get(x, list(range(1, len(next(iter(history.values()))) + 1)))
    losses = [m for m in metrics if "loss" in m]
    others = [m for m in metrics if m not in losses]
    fig, axes = plt.subplots(1, 2 if losses and others else 1, figsize=(10 if losses and others else 5, 3.5), squeeze=False)
    for ax, group in zip(axes[0], [g for g in (losses, others) if g]):
        for m in group:
            ax.plot(xs, history[m], marker="o", label=m)
        ax.set_xlabel(x)
        ax.legend()
        ax.grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def similarity_heatmap(matrix, labels: Sequence[str], title: str = "cosine similarity", ax=None):
    """Heatmap of a square similarity matrix with the values written in the cells."""
    plt = _plt()
    matrix = np.asarray(matrix)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.shape[0] != len(labels):
        raise ValueError(f"expected a ({len(labels)}, {len(labels)}) matrix, got {matrix.shape}")
    if ax is None:
        _, ax = plt.subplots(figsize=(0.9 * len(labels) + 3, 0.7 * len(labels) + 2))
    im = ax.imshow(matrix, cmap="viridis", vmin=min(0.0, float(matrix.min())), vmax=1.0)
    short = [lab if len(lab) <= 40 else lab[:37] + "..." for lab in labels]
    ax.set_xticks(range(len(labels)), [str(i + 1) for i in range(len(labels))])
    ax.set_yticks(range(len(labels)), [f"{i + 1}: {s}" for i, s in enumerate(short)])
    for i in range(len(labels)):
        for j in range(len(labels)):
            ax.text(j, i, f"{matrix[i, j]:.2f}", ha="center", va="center", color="white" if matrix[i, j] < 0.6 else "black")
    ax.set_title(title)
    ax.figure.colorbar(im, ax=ax, fraction=0.046)
    ax.figure.tight_layout()
    return ax


def bar_with_errors(names: Sequence[str], means: Sequence[float], stds: Sequence[float] | None = None,
                    ylabel: str = "accuracy", title: str = "", ax=None):
    """Horizontal bars with error bars (e.g. mean +- std over seeds)."""
    if len(names) == 0 or len(means) != len(names) or (stds is not None and len(stds) != len(names)):
        raise ValueError(f"names, means (and stds) must be non-empty and of equal length, got {len(names)}, "
                         f"{len(means)}" + ("" if stds is None else f", {len(stds)}"))
    plt = _plt()
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.45 * len(names) + 1.2))
    ax.barh(range(len(names)), means, xerr=stds, capsize=4, color="tab:blue", alpha=0.8)
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()
    ax.set_xlabel(ylabel)
    lo = min(m - (s if stds is not None else 0) for m, s in zip(means, stds if stds is not None else [0] * len(means)))
    ax.set_xlim(max(0.0, lo - 0.05), min(1.0, max(means) + 0.05) if max(means) <= 1 else None)
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(title)
    ax.figure.tight_layout()
    return ax
