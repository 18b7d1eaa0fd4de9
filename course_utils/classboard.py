"""Class leaderboard: merge many learners' ``results/results.csv`` files into one table per dataset.

Used by ``scripts/class_leaderboard.py`` (the command line). Small functions, each testable alone:

>>> files = find_files(["collected/"])                  # a directory of CSVs (searched recursively) or files
>>> frames, rejected = read_all(files, name_from="auto") # rejected: one line per malformed file
>>> board = measured_rows(merge(frames))                 # drop published (cited) numbers
>>> for key, table in leaderboards(board, dataset="sst2", metric="accuracy"): print(key, table)

Profiles are never mixed: a table is one (dataset, split, metric, profile); the smoke profile (CI-sized, its numbers
mean nothing) is left out unless asked for with ``profile="smoke"``.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable

import pandas as pd

from .results import COLUMNS

# Columns a file must have to be ranked (the others in COLUMNS are shown when present).
REQUIRED = ("chapter", "experiment", "model", "dataset", "split", "metric", "value", "profile", "source")
# Metrics where smaller is better (seconds, latency, memory, loss, error rates); everything else: larger is better.
_LOWER_IS_BETTER = re.compile(r"(seconds|latency|_ms$|_mb$|memory|loss|error|perplexity)", re.IGNORECASE)


class MalformedResultsFile(ValueError):
    """A results file the leaderboard cannot use; ``str()`` is one line naming the file and the problem."""


def lower_is_better(metric: str) -> bool:
    return bool(_LOWER_IS_BETTER.search(str(metric)))


def find_files(paths: Iterable[str | Path]) -> list[Path]:
    """Files named on the command line, and every ``*.csv`` below a named directory (sorted, no duplicates)."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found += sorted(f for f in p.rglob("*.csv") if f.is_file())
        else:
            found.append(p)
    unique: list[Path] = []
    for f in found:
        if f.resolve() not in {u.resolve() for u in unique}:
            unique.append(f)
    return unique


def learner_name(path: str | Path, rule: str = "auto") -> str:
    """The learner a file belongs to.

    ``auto``: the file stem (``alice.csv`` -> alice), or the parent folder when the file is called ``results.csv``
    (``alice/results.csv`` -> alice); ``stem``; ``parent``; ``regex:PATTERN``: the first group of PATTERN searched
    in the path (e.g. ``regex:results_(\\w+)\\.csv``), the stem when it does not match.
    """
    path = Path(path)
    if rule == "stem":
        return path.stem
    if rule == "parent":
        return path.parent.name or path.stem
    if rule.startswith("regex:"):
        m = re.search(rule[len("regex:"):], path.as_posix())
        return (m.group(1) if m and m.groups() else m.group(0) if m else path.stem)
    if rule != "auto":
        raise ValueError(f"name rule {rule!r}: use auto, stem, parent or regex:PATTERN")
    if path.stem.lower() in ("results", "result") and path.parent.name:
        return path.parent.name
    return path.stem


def read_results(path: str | Path) -> pd.DataFrame:
    """One learner's results file, checked. Raises ``MalformedResultsFile`` (one line) when it cannot be used."""
    path = Path(path)
    if not path.is_file():
        raise MalformedResultsFile(f"{path}: no such file")
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        raise MalformedResultsFile(f"{path}: empty file (no header)") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise MalformedResultsFile(f"{path}: not a CSV results file ({first})") from None
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise MalformedResultsFile(f"{path}: missing column(s) {', '.join(missing)} "
                                   f"(a course results.csv has {', '.join(COLUMNS)})")
    value = pd.to_numeric(df["value"].str.strip(), errors="coerce")
    bad = value.isna() & ~df["value"].str.strip().str.lower().isin(["nan"])
    if bad.any():
        i = int(bad.idxmax())
        raise MalformedResultsFile(f"{path}: non-numeric value {df['value'][i]!r} in row {i + 2} "
                                   f"({df['experiment'][i]}, {df['metric'][i]}); {int(bad.sum())} such row(s)")
    df = df.copy()
    df["value"] = value
    return df


def read_all(files: Iterable[str | Path], name_from: str = "auto", strict: bool = False
             ) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """Read every file: ``({learner: frame}, [one-line rejection messages])``.

    Two files with the same learner name get ``name``, ``name (2)``, ...; ``strict`` raises on the first bad file.
    """
    frames: dict[str, pd.DataFrame] = {}
    rejected: list[str] = []
    for f in files:
        try:
            df = read_results(f)
        except MalformedResultsFile as exc:
            if strict:
                raise
            rejected.append(str(exc))
            continue
        name = base = learner_name(f, name_from)
        n = 2
        while name in frames:
            name, n = f"{base} ({n})", n + 1
        frames[name] = df
    return frames, rejected


def merge(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One frame with a ``learner`` column first."""
    if not frames:
        return pd.DataFrame(columns=["learner", *COLUMNS])
    merged = pd.concat([df.assign(learner=name) for name, df in frames.items()], ignore_index=True)
    return merged[["learner", *[c for c in merged.columns if c != "learner"]]]


def measured_rows(df: pd.DataFrame) -> pd.DataFrame:
    """Only numbers the learners measured: drops ``source == published`` (cited from papers) and NaN values."""
    source = df["source"].fillna("").str.strip().str.lower()
    return df[(source != "published") & df["value"].notna()].reset_index(drop=True)


def profile_groups(df: pd.DataFrame, profile: str | None = None) -> tuple[list[str], list[str]]:
    """``(profiles shown, profiles left out)``: every profile separately; ``smoke`` only when asked for."""
    present = sorted(set(df["profile"].fillna("").replace("", "unknown")))
    if profile:
        return ([profile] if profile in present else []), [p for p in present if p != profile]
    shown = [p for p in present if p != "smoke"] or present  # only smoke rows: show them rather than nothing
    return shown, [p for p in present if p not in shown]


def best_per_learner(df: pd.DataFrame) -> pd.DataFrame:
    """One row per learner: the best value of a frame holding ONE dataset, split, metric and profile; ranked."""
    if df.empty:
        return df
    metric = str(df["metric"].iloc[0])
    low = lower_is_better(metric)
    ordered = df.sort_values(["value", "recorded_at" if "recorded_at" in df else "value"],
                             ascending=[low, True], kind="mergesort")
    best = ordered.drop_duplicates("learner", keep="first").reset_index(drop=True)
    best.insert(0, "rank", best["value"].rank(method="min", ascending=low).astype(int))
    cols = ["rank", "learner", "value", "chapter", "experiment", "model", "profile"]
    cols += [c for c in ("n_train", "seconds") if c in best.columns]
    return best[cols].sort_values(["rank", "learner"]).reset_index(drop=True)


def leaderboards(df: pd.DataFrame, dataset: str | None = None, metric: str = "accuracy",
                 profile: str | None = None) -> list[tuple[dict[str, str], pd.DataFrame]]:
    """Tables ``({"dataset", "split", "metric", "profile"}, best_per_learner table)``, one per combination.

    ``df``: measured rows (``measured_rows(merge(...))``). Profiles are never mixed in one table.
    """
    df = df.assign(profile=df["profile"].fillna("").replace("", "unknown"))
    df = df[df["metric"] == metric]
    if dataset:
        df = df[df["dataset"] == dataset]
    shown, _ = profile_groups(df, profile) if not df.empty else ([], [])
    out = []
    for (ds, split, prof), group in df[df["profile"].isin(shown)].groupby(["dataset", "split", "profile"], sort=True):
        out.append(({"dataset": ds, "split": split, "metric": metric, "profile": prof}, best_per_learner(group)))
    return out


def format_table(key: dict[str, str], table: pd.DataFrame) -> str:
    """A plain-text table with a title line naming the dataset, split, metric and profile."""
    direction = "lower is better" if lower_is_better(key["metric"]) else "higher is better"
    title = (f"== {key['dataset']} ({key['split']}) | {key['metric']} ({direction}) | profile {key['profile']} | "
             f"{len(table)} learner(s)")
    shown = table.assign(value=table["value"].map(lambda v: f"{v:.4f}"))
    return title + "\n" + shown.to_string(index=False)


def plot(tables: list[tuple[dict[str, str], pd.DataFrame]], path: str | Path) -> Path:
    """One horizontal bar chart per table (best value per learner), saved to ``path``."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    n = max(len(tables), 1)
    height = sum(max(1.5, 0.35 * len(t) + 1) for _, t in tables) or 2
    fig, axes = plt.subplots(n, 1, figsize=(8, height), squeeze=False)
    for ax, (key, table) in zip(axes[:, 0], tables):
        t = table.iloc[::-1]
        ax.barh(t["learner"], t["value"], color="tab:blue")
        for y, v in enumerate(t["value"]):
            ax.annotate(f"{v:.3f}", (v, y), xytext=(3, 0), textcoords="offset points", va="center", fontsize=8)
        ax.set_title(f"{key['dataset']} {key['split']} - best {key['metric']} per learner (profile {key['profile']})",
                     fontsize=10)
        ax.set_xlabel(key["metric"])
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
