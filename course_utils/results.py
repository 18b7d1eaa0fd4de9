"""The course results store: every headline number, one row in ``results/results.csv``.

>>> record_result(chapter="01", experiment="nbsvm_bigram", model="NB-SVM", dataset="imdb", split="test",
...               metric="accuracy", value=0.912, n_train=25000, seconds=31.0, params=1_234_567)
>>> leaderboard()            # measured rows, one per (chapter, experiment, model, dataset, split, profile)
>>> leaderboard(source="published")   # numbers cited from papers: always a table of their own, never ranked with ours

The file lives at the repository root (``results/results.csv``) unless ``COURSE_RESULTS`` names another path.
Re-running an experiment replaces its row (same chapter, experiment, model, dataset, split, metric, profile).
The store never overwrites a file it does not recognise as a results file (see ``ResultsFileError``).
"""
from __future__ import annotations

import csv
import math
import numbers
import os
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

from .profiles import PROFILES, Profile, profile_name

COLUMNS = [
    "chapter", "experiment", "model", "dataset", "split", "metric", "value",
    "n_train", "profile", "seconds", "params", "source", "notes", "recorded_at",
]
KEY = ("chapter", "experiment", "model", "dataset", "split", "metric", "profile")
SOURCES = {"measured", "published"}
# Metrics every chapter may ask the leaderboard for, recorded or not (others must have been recorded).
KNOWN_METRICS = {"accuracy", "f1"}


class ResultsFileError(ValueError):
    """``COURSE_RESULTS`` (or ``results/results.csv``) names something that is not a course results file."""


def results_path() -> Path:
    """``$COURSE_RESULTS``, else ``results/results.csv`` at the repository root (or the working directory)."""
    env = os.environ.get("COURSE_RESULTS")
    if env:
        return Path(env).expanduser()
    root = Path(__file__).resolve().parent.parent
    if not (root / "pyproject.toml").is_file():  # installed from a wheel (Colab): use the working directory
        root = Path.cwd().parent if Path.cwd().name in ("chapters", "student") else Path.cwd()
    return root / "results" / "results.csv"


# --- reading ----------------------------------------------------------------------------------------------------

def _not_ours(path: Path, why: str) -> ResultsFileError:
    return ResultsFileError(
        f"the results store {str(path)!r} {why}, so the course will not read or overwrite it. "
        "Fix: point COURSE_RESULTS at a new file (e.g. results/results.csv) or move that file away."
    )


def _check_header(path: Path, header: list[str]) -> None:
    """A results file's header holds only ``COLUMNS`` names, and at least the key columns and ``value``."""
    missing = [c for c in (*KEY, "value") if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    if missing or unknown:
        shown = ",".join(header)[:80]
        raise _not_ours(path, f"is not a course results file (its first line is {shown!r}; expected the columns "
                              f"{','.join(COLUMNS)})")


def _read(path: Path) -> list[dict[str, str]]:
    """The rows of the store; ``[]`` when it does not exist or is empty. Refuses files that are not results files."""
    if path.is_dir():
        raise _not_ours(path, "is a folder, not a CSV file")
    if not path.exists():
        return []
    if not path.is_file():
        raise _not_ours(path, "is not a regular file")
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            header = reader.fieldnames
            if header is None:  # an empty file: a fresh store
                return []
            _check_header(path, list(header))
            return list(reader)
    except UnicodeDecodeError:
        raise _not_ours(path, "is not a text (CSV) file") from None


# --- validating a row ---------------------------------------------------------------------------------------------

def _as_real(name: str, value: Any, fix: str) -> float:
    """``value`` as a float: ints, floats, numpy scalars and one-element arrays/tensors; never bool or str."""
    item = value
    if not isinstance(value, (str, bytes)) and hasattr(value, "item") and math.prod(getattr(value, "shape", ())) == 1:
        item = value.item()  # numpy scalar, 0-d or one-element array, torch scalar tensor
    if isinstance(item, bool) or not isinstance(item, numbers.Real):
        kind = "a string" if isinstance(value, str) else type(value).__name__
        raise ValueError(f"{name} must be a finite number (int, float or a numpy/torch scalar), got {kind} "
                         f"{value!r}. Fix: {fix}")
    if not math.isfinite(float(item)):
        raise ValueError(f"{name} must be a finite number, got {item!r}. Fix: {fix}")
    return float(item)


def _optional_count(name: str, value: Any) -> str:
    """'' for ``None``, else a non-negative integer (numpy integers and integral floats accepted) as text."""
    if value is None:
        return ""
    number = _as_real(name, value, f"pass a whole number of {name.replace('_', ' ')} (or None)")
    if number < 0 or not number.is_integer():
        raise ValueError(f"{name} must be a non-negative whole number or None, got {value!r}")
    return str(int(number))


def _text(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {type(value).__name__} {value!r}. Fix: pass {name}=str(...)")
    if not value.strip():
        raise ValueError(f"{name} must be a non-empty string, got {value!r}")
    return value.strip()


def _chapter(chapter: Any) -> str:
    """Chapters are two-digit strings ("01"); ints are accepted and zero-padded."""
    if isinstance(chapter, numbers.Integral) and not isinstance(chapter, bool):
        if chapter < 0:
            raise ValueError(f"chapter must be a chapter number like '01', got {chapter!r}")
        return f"{int(chapter):02d}"
    return _text("chapter", chapter)


def _profile(profile: Profile | str | None) -> str:
    if profile is None:
        return profile_name()
    if isinstance(profile, Profile):
        return profile.name
    name = _text("profile", profile)
    if name not in PROFILES:
        raise ValueError(f"profile must be one of {sorted(PROFILES)} (or a Profile, or None for the active one), "
                         f"got {profile!r}")
    return name


def _row(chapter, experiment, model, dataset, split, metric, value, n_train, seconds, params, profile, source,
         notes) -> dict[str, str]:
    if source not in SOURCES:
        raise ValueError(f"source must be one of {sorted(SOURCES)}, got {source!r}")
    if not isinstance(notes, str):
        raise TypeError(f"notes must be a string, got {type(notes).__name__}. Fix: pass notes=str(...)")
    number = _as_real("value", value, "pass the metric as a number, e.g. value=float(acc)")
    secs = None if seconds is None else _as_real("seconds", seconds, "pass elapsed seconds, e.g. timer().seconds")
    if secs is not None and secs < 0:
        raise ValueError(f"seconds must be >= 0 or None, got {seconds!r}")
    texts = {k: _text(k, v) for k, v in (("experiment", experiment), ("model", model), ("dataset", dataset),
                                         ("split", split), ("metric", metric))}
    return {
        "chapter": _chapter(chapter), **texts, "value": f"{number:.6g}",
        "n_train": _optional_count("n_train", n_train), "profile": _profile(profile),
        "seconds": "" if secs is None else f"{secs:.3f}", "params": _optional_count("params", params),
        "source": source, "notes": notes, "recorded_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


# --- writing ----------------------------------------------------------------------------------------------------

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
    profile: Profile | str | None = None,
    source: str = "measured",
    notes: str = "",
) -> dict[str, Any]:
    """Append (or replace) one result row and return it.

    ``value``: a finite number (Python, numpy or one-element torch scalar; not bool or str). ``chapter``: "01" (an
    int is zero-padded). ``n_train``/``params``: whole numbers or None; ``seconds``: >= 0 or None. ``profile``: a
    profile name or ``Profile`` (default: the active one). ``source="published"`` marks numbers quoted from papers
    or model cards; put the citation in ``notes``. ``leaderboard()`` leaves them out, ``leaderboard(source="published")``
    shows them in a table of their own (they are never ranked with measurements).
    Raises ``ResultsFileError`` instead of overwriting a file that is not a course results file.
    """
    row = _row(chapter, experiment, model, dataset, split, metric, value, n_train, seconds, params, profile, source,
               notes)
    path = results_path()
    _read(path)  # refuse a foreign file before creating anything next to it
    path.parent.mkdir(parents=True, exist_ok=True)
    with _locked(path):  # two notebooks may record at the same time
        rows = [r for r in _read(path) if tuple(r.get(k, "") for k in KEY) != tuple(row[k] for k in KEY)]
        _write_atomic(path, [*rows, row])
    return row


def record_metrics(metrics: Mapping[str, Any], names: Sequence[str] = ("accuracy", "f1"), **row: Any) -> list[dict[str, Any]]:
    """Record several metrics of one run at once: one ``record_result`` row per name in ``names``, its value taken
    from ``metrics`` (e.g. ``fine_tune(...).metrics`` or ``classification_metrics(...)``); ``row`` holds the other
    ``record_result`` fields (chapter, experiment, model, dataset, split, n_train, seconds, ...)."""
    if not isinstance(metrics, Mapping):
        raise TypeError(f"metrics must be a dict such as {{'accuracy': 0.9, 'f1': 0.9}}, got {type(metrics).__name__}")
    if isinstance(names, str):
        names = (names,)
    missing = [n for n in names if n not in metrics]
    if missing:
        raise ValueError(f"metrics has no {missing}: it has {sorted(metrics)}; pass names=[...] to choose which to record")
    if "metric" in row or "value" in row:
        raise TypeError("record_metrics takes the values from `metrics`: do not pass metric= or value=")
    return [record_result(metric=n, value=metrics[n], **row) for n in names]


def _write_atomic(path: Path, rows: list[dict[str, str]]) -> None:
    """Write ``rows`` to a temporary file next to ``path``, then rename it over ``path``; no debris on failure."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=COLUMNS, extrasaction="ignore", restval="")
            writer.writeheader()
            writer.writerows(rows)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Exclusive lock on ``<results file>.lock`` (POSIX ``flock``); the lock file is removed afterwards."""
    lock = path.with_name(path.name + ".lock")
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks; single-writer use is fine
        yield
        return
    while True:
        fh = open(lock, "a")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX)
            if os.path.exists(lock) and os.stat(lock).st_ino == os.fstat(fh.fileno()).st_ino:
                break  # we hold the lock on the file that is still in place
        except BaseException:
            fh.close()
            raise
        fh.close()  # another writer removed it while we waited: lock the new one
    try:
        yield
    finally:
        lock.unlink(missing_ok=True)  # still holding the lock: no one else can be inside
        fh.close()


# --- reading for people ----------------------------------------------------------------------------------------------

def load_results(profile: Profile | str | None = None):
    """All recorded rows as a pandas DataFrame (optionally only one profile's: a name or a ``Profile``)."""
    import pandas as pd

    name = None if profile is None else _profile(profile)
    df = pd.DataFrame(_read(results_path()), columns=COLUMNS)
    for col in ("value", "seconds"):
        df[col] = pd.to_numeric(df[col], errors="coerce")
    for col in ("n_train", "params"):
        df[col] = pd.to_numeric(df[col], errors="coerce").astype("Int64")
    if name:
        df = df[df["profile"] == name]
    return df.reset_index(drop=True)


def _known_datasets() -> set[str]:
    try:
        from course_data import registry

        return set(registry())
    except Exception:  # the registry is optional for the leaderboard
        return set()


def _check_filter(name: str, value: Any, recorded, known: set[str]) -> None:
    """A leaderboard filter must be a string that was recorded or is a course name (else a typo)."""
    if value is None:
        return
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string or None, got {type(value).__name__} {value!r}")
    recorded = sorted({str(v) for v in recorded if str(v)})
    if value not in recorded and value not in known:
        raise ValueError(f"no result has {name}={value!r}; recorded: {recorded or 'nothing yet'}. "
                         f"Fix: use one of those (check the spelling) or record a result first")


def leaderboard(dataset: str | None = None, metric: str = "accuracy", profile: Profile | str | None = None,
                source: str = "measured"):
    """The course leaderboard: one row per experiment, sorted by ``metric`` (best first).

    ``source="measured"`` (the default): only numbers run in this course. ``source="published"``: only the numbers
    quoted from papers and model cards, as their own table. The two are never ranked in one table: they differ in
    data, splits and tuning (to show both, call it twice and show two tables).
    Columns: chapter, experiment, model, dataset, split, profile, source, every metric recorded, n_train, params,
    seconds. ``dataset``/``profile`` filter the rows; an unknown name (not recorded and not a course name) is an
    error, and so is any ``source`` other than ``"measured"`` or ``"published"``.

    >>> leaderboard(dataset="sst2")                        # what we measured on SST-2, best accuracy first
    >>> leaderboard(dataset="sst2", source="published")    # what the papers report, in a table of its own
    """
    import pandas as pd

    if not isinstance(source, str) or source not in SOURCES:
        raise ValueError(
            f"source must be 'measured' (the default: numbers run in this course) or 'published' (numbers cited "
            f"from papers, in a table of their own), got {source!r}. Measured and published numbers are never "
            "ranked in one table: call leaderboard() and leaderboard(source='published') and show two tables")
    df = load_results(profile)
    _check_filter("dataset", dataset, df["dataset"], _known_datasets())
    _check_filter("metric", metric, df["metric"], KNOWN_METRICS)
    if metric is None:
        raise TypeError("metric must be a metric name such as 'accuracy', got None")
    src = df["source"].astype(object)
    df = df.assign(source=src.where(src.notna() & (src != ""), "measured"))  # a file from before `source`: measured
    df = df[df["source"] == source]
    if dataset:
        df = df[df["dataset"] == dataset]
    index = ["chapter", "experiment", "model", "dataset", "split", "profile", "source"]
    if df.empty:
        return pd.DataFrame(columns=[*index, metric])
    wide = df.pivot_table(index=index, columns="metric", values="value", aggfunc="last").reset_index()
    extra = df.groupby(index, dropna=False)[["n_train", "params", "seconds"]].max().reset_index()
    wide = wide.merge(extra, on=index, how="left")
    wide.columns.name = None
    if metric in wide.columns:
        wide = wide.sort_values(metric, ascending=False, na_position="last")
    return wide.reset_index(drop=True)
