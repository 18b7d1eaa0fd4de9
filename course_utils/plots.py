"""Plots the chapters share: confusion matrices, training curves, similarity heatmaps, mean ± std over runs."""
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
                         f"{outside[:5]}: pass one name per class, e.g. dsd['train'].features['label'].names")
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


def _as_columns(history) -> dict[str, list]:
    """A history as a dict of equal-length lists: from a dict of lists or a list of dicts (one per step)."""
    if isinstance(history, Mapping):
        return {k: list(v) for k, v in history.items()}
    keys = list(dict.fromkeys(k for row in history for k in row))
    return {k: [row.get(k, np.nan) for row in history] for k in keys}


def _is_history(v) -> bool:
    """A whole run's history (a dict of lists or a list of dicts), not one column of numbers."""
    return isinstance(v, Mapping) or (isinstance(v, Sequence) and len(v) > 0 and isinstance(v[0], Mapping))


def training_curves(history, x: str = "epoch", metrics: Sequence[str] | None = None, title: str = ""):
    """Plot metrics against ``x``: losses in one panel, everything else (accuracy, F1, ...) in a second one.

    ``history``: one run (a dict of lists, or a list of dicts such as ``FineTuneResult.history`` or
    ``HeadRun.history``) or several runs as ``{label: history}``, one colour per run. ``metrics``: which columns
    to plot (default: all but ``x``). Returns the figure.
    """
    if not history:
        raise ValueError("history is empty: pass a dict of lists (e.g. {'epoch': [1, 2], 'loss': [0.6, 0.4]}), "
                         "a list of dicts (one per step), or {label: history} for several runs")
    several = isinstance(history, Mapping) and all(_is_history(v) for v in history.values())
    runs = {k: _as_columns(v) for k, v in history.items()} if several else {"": _as_columns(history)}
    names = list(metrics) if metrics is not None else list(dict.fromkeys(k for r in runs.values() for k in r if k != x))
    losses = [m for m in names if "loss" in m]
    groups = [g for g in (losses, [m for m in names if m not in losses]) if g]
    if not groups:
        raise ValueError(f"nothing to plot: history has no column besides {x!r}")
    plt = _plt()
    fig, axes = plt.subplots(1, len(groups), figsize=(5 * len(groups), 3.5), squeeze=False)
    for ax, group in zip(axes[0], groups):
        for r, (label, cols) in enumerate(runs.items()):
            xs = cols.get(x, list(range(1, len(next(iter(cols.values()))) + 1)))
            for m in (m for m in group if m in cols):
                ax.plot(xs, cols[m], marker="o", color=f"C{r}" if several else None, alpha=0.5 if "eval" in m or
                        "val" in m else 1.0, label=f"{label} {m}".strip())
        ax.set_xlabel(x)
        ax.legend(fontsize=8)
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


def bar_with_errors(runs, by: str, value: str = "accuracy", hue: str | None = None, *,
                    order: Sequence | None = None, hue_order: Sequence | None = None, show_runs: bool = True,
                    xlabel: str | None = None, title: str = "", ax=None):
    """Mean ± std of ``value`` per category of ``by`` (one line each), every single run as a small dot.

    ``runs``: a DataFrame or a list of dicts with one row per run (e.g. one per head and seed), holding the columns
    ``by``, ``value`` (and ``hue``: one colour per value, side by side, e.g. the training regime). A category with
    one run gets no error bar. ``order`` / ``hue_order``: the categories to show, in order (default: as they
    first appear). Returns the axes.
    """
    import pandas as pd

    df = runs if isinstance(runs, pd.DataFrame) else pd.DataFrame(list(runs))
    for col in (by, value) + ((hue,) if hue else ()):
        if col not in df.columns:
            raise ValueError(f"runs has no column {col!r}; its columns are {list(df.columns)}")
    if len(df) == 0:
        raise ValueError("runs is empty: pass one row per run (e.g. per seed)")
    cats = list(order) if order is not None else list(dict.fromkeys(df[by]))
    hues = (list(hue_order) if hue_order is not None else list(dict.fromkeys(df[hue]))) if hue else [None]
    plt = _plt()
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.45 * len(cats) * len(hues) ** 0.5 + 1.4))
    step = 0.6 / len(hues)
    for j, h in enumerate(hues):
        sub = df if h is None else df[df[hue] == h]
        for i, cat in enumerate(cats):
            vals = sub.loc[sub[by] == cat, value].astype(float)
            if vals.empty:
                continue
            y = i + (j - (len(hues) - 1) / 2) * step
            if show_runs:
                ax.scatter(vals, [y] * len(vals), color=f"C{j}" if hue else "tab:gray", s=12, alpha=0.5, zorder=3)
            ax.errorbar(vals.mean(), y, xerr=vals.std() if len(vals) > 1 else 0, fmt="o", color=f"C{j}",
                        capsize=4, label=(f"{h}: mean ± std" if hue else "mean ± std") if i == 0 else None)
    ax.set_yticks(range(len(cats)), [str(c) for c in cats])
    ax.invert_yaxis()
    ax.set_xlabel(xlabel or value)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(title)
    ax.figure.tight_layout()
    return ax
