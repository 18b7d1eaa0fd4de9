"""The course results store: every headline number, one row in ``results/results.csv``.

>>> record_result(chapter="01", experiment="nbsvm_bigram", model="NB-SVM", dataset="imdb", split="test",
...               metric="accuracy", value=0.912, n_train=25000, seconds=31.0, params=1_234_567)
>>> leaderboard()            # one row per (chapter, experiment, model, dataset, split, profile), metrics as columns

The file lives at the repository root (``results/results.csv``) unless ``COURSE_RESULTS`` names another path.
Re-running an experiment replaces its row (same chapter, experiment, model, dataset, split, metric, profile).
"""
from __future__ import annotations

import csv
import math
import os
from datetime import datetime, timezone
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from .profiles import profile_name

COLUMNS = [
    "chapter", "experiment", "model", "dataset", "split", "metric", "value",
    "n_train", "profile", "seconds", "params", "source", "notes", "recorded_at",
]
KEY = ("chapter", "experiment", "model", "dataset", "split", "metric", "profile")
SOURCES = {"measured", "published"}


def results_path() -> Path:
    """``$COURSE_RESULTS``, else ``results/results.csv`` at the repository root (or the working directory)."""
    env = os.environ.get("COURSE_RESULTS")
    if env:
        return Path(env).expanduser()
    root = Path(__file__).resolve().parent.parent
    if not (root / "pyproject.toml").is_file():  # installed from a wheel (Colab): use the working directory
        root = Path.cwd().parent if Path.cwd().name == "chapters" else Path.cwd()
    return root / "results" / "results.csv"


def _read(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def record_result(
    chapter: str,
    experiment: str,
    model: str,
    dataset: str,
    split: str,
    metric: str,
    value: float,
    n_train: int | None = None,
    seconds: float | None = None,
    params: int | None = None,
    profile: str | None = None,
    source: str = "measured",
    notes: str = "",
) -> dict[str, Any]:
    """Append (or replace) one result row and return it. ``value`` must be a finite number.

    ``source="published"`` marks numbers quoted from papers or model cards (never mix them with measurements);
    put the citation in ``notes``.
    """
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(float(value)):
        raise ValueError(f"value must be a finite number, got {value!r}")
    if source not in SOURCES:
        raise ValueError(f"source must be one of {sorted(SOURCES)}, got {source!r}")
    for name, text in (("chapter", chapter), ("experiment", experiment), ("model", model), ("dataset", dataset),
                       ("split", split), ("metric", metric)):
        if not str(text).strip():
            raise ValueError(f"{name} must be a non-empty string")
    row = {
        "chapter": str(chapter), "experiment": experiment, "model": model, "dataset": dataset, "split": split,
        "metric": metric, "value": f"{float(value):.6g}", "n_train": "" if n_train is None else str(int(n_train)),
        "profile": profile or profile_name(), "seconds": "" if seconds is None else f"{float(seconds):.3f}",
        "params": "" if params is None else str(int(params)), "source": source, "notes": notes,
        "recorded_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    path = results_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with _locked(path):  # two notebooks may record at the same time
        rows = [r for r in _read(path) if tuple(r.get(k, "") for k in KEY) != tuple(row[k] for k in KEY)]
        rows.append(row)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        with open(tmp, "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=COLUMNS, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)
        tmp.replace(path)
    return row


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    lock = path.with_suffix(".lock")
    with open(lock, "w") as fh:
        try:
            import fcntl

            fcntl.flock(fh, fcntl.LOCK_EX)
        except ImportError:  # Windows: no advisory locks; single-writer use is fine
            pass
        yield


def load_results(profile: str | None = None):
    """All recorded rows as a pandas DataFrame (optionally only one profile's)."""
    import pandas as pd

    df = pd.DataFrame(_read(results_path()), columns=COLUMNS)
    for col in ("value", "seconds"):
        df[col] = pd.to_numeric(df[col], errors="coerce")
    for col in ("n_train", "params"):
        df[col] = pd.to_numeric(df[col], errors="coerce").astype("Int64")
    if profile:
        df = df[df["profile"] == profile]
    return df.reset_index(drop=True)


def leaderboard(dataset: str | None = None, metric: str = "accuracy", profile: str | None = None):
    """The course leaderboard: one row per experiment, sorted by ``metric`` (best first).

    Columns: chapter, experiment, model, dataset, split, profile, every metric recorded, n_train, params, seconds.
    """
    import pandas as pd

    df = load_results(profile)
    if dataset:
        df = df[df["dataset"] == dataset]
    if df.empty:
        return pd.DataFrame(columns=["chapter", "experiment", "model", "dataset", "split", "profile", metric])
    index = ["chapter", "experiment", "model", "dataset", "split", "profile", "source"]
    wide = df.pivot_table(index=index, columns="metric", values="value", aggfunc="last").reset_index()
    extra = df.groupby(index, dropna=False)[["n_train", "params", "seconds"]].max().reset_index()
    wide = wide.merge(extra, on=index, how="left")
    wide.columns.name = None
    if metric in wide.columns:
        wide = wide.sort_values(metric, ascending=False, na_position="last")
    return wide.reset_index(drop=True)
