"""Loading the course datasets (with the profile's subsampling) and checking data a learner brings.

>>> dsd = load_course_dataset("sst2")          # DatasetDict, hub schema, label = ClassLabel
>>> train = as_dataset(my_dataframe, "text", "label")   # validate your own data
"""
from __future__ import annotations

from typing import Any

from course_data import (  # re-exported: learners import everything from course_utils
    DatasetUnavailableError,
    DatasetVerificationError,
    dataset_info,
    load_raw,
    registry,
)

from .profiles import Profile, get_profile

__all__ = [
    "DatasetUnavailableError",
    "DatasetVerificationError",
    "as_dataset",
    "dataset_info",
    "load_course_dataset",
    "stratified_subsample",
]

_LAST_REPORTS: dict[str, str] = {}


def stratified_subsample(ds, n: int | None, label_column: str = "label", seed: int = 0):
    """Return ``n`` rows of ``ds`` keeping the class proportions (seeded). ``None`` or ``n >= len`` -> ``ds``.

    Every class keeps at least one row when ``n`` allows it (``datasets`` stratified split).
    """
    if n is None or n >= len(ds):
        return ds
    if n <= 0:
        raise ValueError(f"n must be a positive number of rows, got {n}")
    from datasets import ClassLabel

    if not isinstance(ds.features.get(label_column), ClassLabel):
        names = sorted(set(ds[label_column]))
        ds = ds.cast_column(label_column, ClassLabel(names=[str(x) for x in names]))
    split = ds.train_test_split(train_size=n, stratify_by_column=label_column, seed=seed)
    return split["train"]


def load_course_dataset(
    name: str,
    profile: Profile | str | None = None,
    subsample: bool = True,
    seed: int = 0,
    verbose: bool = True,
):
    """Load course dataset ``name`` (``sst2``, ``imdb``, ``trec``) as a ``datasets.DatasetDict``.

    Train is cut to ``profile.train_size(name)`` rows and every other split to ``profile.eval_size(name)`` rows,
    stratified by label and seeded, unless ``subsample=False`` (full splits). Prints where the data came from.
    """
    prof = get_profile(profile) if not isinstance(profile, Profile) else profile
    dsd, report = load_raw(name)
    _LAST_REPORTS[name] = str(report)
    label = dataset_info(name)["label_column"]
    if subsample:
        for split in list(dsd):
            n = prof.train_size(name) if split == "train" else prof.eval_size(name)
            dsd[split] = stratified_subsample(dsd[split], n, label, seed)
    if verbose:
        sizes = ", ".join(f"{s} {len(d):,}" for s, d in dsd.items())
        cut = f"subsampled for profile {prof.name!r}" if subsample else "full splits"
        print(f"[data] {report.name} from {report.source} ({report.detail}); {cut}: {sizes}")
    return dsd


def data_sources() -> dict[str, str]:
    """Where each dataset loaded in this session came from (for the setup printout)."""
    return dict(_LAST_REPORTS)


def as_dataset(data: Any, text_column: str = "text", label_column: str = "label", name: str = "data"):
    """Validate a learner's data and return it as a ``datasets.Dataset`` with a ClassLabel label column.

    ``data``: a ``datasets.Dataset`` or a pandas ``DataFrame``. Checks that both columns exist, no text is
    empty, and labels are integers 0..K-1 with every class present. Raises one ``ValueError`` saying what to fix.
    """
    import pandas as pd
    from datasets import ClassLabel, Dataset

    if isinstance(data, pd.DataFrame):
        columns = list(data.columns)
    elif isinstance(data, Dataset):
        columns = data.column_names
    else:
        raise ValueError(f"{name}: expected a datasets.Dataset or a pandas DataFrame, got {type(data).__name__}")
    for role, col in (("text_column", text_column), ("label_column", label_column)):
        if col not in columns:
            raise ValueError(f"{name}: {role}={col!r} is not a column; the columns are {columns}")
    if len(data) == 0:
        raise ValueError(f"{name}: the dataset is empty")
    texts = list(data[text_column])
    empty = [i for i, t in enumerate(texts) if not isinstance(t, str) or not t.strip()]
    if empty:
        raise ValueError(
            f"{name}: {len(empty)} row(s) have an empty or non-string {text_column!r} (first at row {empty[0]}); "
            "drop or fill them first"
        )
    labels = list(data[label_column])
    if not all(isinstance(x, int) or (hasattr(x, "is_integer") and float(x).is_integer()) for x in labels):
        raise ValueError(
            f"{name}: labels in {label_column!r} must be integers 0..K-1; map strings first, e.g. "
            "df[col] = df[col].astype('category').cat.codes"
        )
    values = sorted({int(x) for x in labels})
    k = values[-1] + 1
    if values[0] < 0 or values != list(range(k)):
        raise ValueError(
            f"{name}: labels in {label_column!r} must be 0..K-1 with every class present; found {values[:10]}"
            + (" ..." if len(values) > 10 else "")
        )
    ds = Dataset.from_pandas(data, preserve_index=False) if isinstance(data, pd.DataFrame) else data
    if not isinstance(ds.features[label_column], ClassLabel):
        ds = ds.cast_column(label_column, ClassLabel(num_classes=k))
    return ds


def label_names(name: str) -> list[str]:
    """Label names of a course dataset, in label-id order."""
    return list(dataset_info(name)["label_names"])


def text_column(name: str) -> str:
    return dataset_info(name)["text_column"]


def label_column(name: str) -> str:
    return dataset_info(name)["label_column"]


def known_datasets() -> list[str]:
    return sorted(registry())
