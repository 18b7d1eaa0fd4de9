"""The course datasets at the profile's size, and a learner's own table checked and turned into a Dataset.

>>> dsd = load_course_dataset("sst2")          # DatasetDict: columns text, label (ClassLabel)
>>> train = as_dataset(my_dataframe, "text", "label")   # validate your own data

Not to be confused with ``data/`` (the package ``course_data``: the dataset registry, the dataset cards and the
download-and-verify code this module calls) or ``results/`` (the store of measured results, ``results.py``).
"""
from __future__ import annotations

import numbers
from typing import Any

from course_data import (  # re-exported: learners import everything from course_utils
    DatasetUnavailableError,
    DatasetVerificationError,
    dataset_info,
    load_raw,
)

from .arguments import check_label_ids, check_table
from .profiles import Profile, get_profile

__all__ = [
    "DatasetUnavailableError",
    "DatasetVerificationError",
    "as_dataset",
    "dataset_info",
    "load_course_dataset",
    "stratified_subsample",
]

def _check_subsample_args(ds: Any, n: Any, label_column: Any, seed: Any) -> None:
    """Types and ranges of ``stratified_subsample``'s arguments, each error naming the argument and the fix."""
    from datasets import Dataset

    if not isinstance(ds, Dataset):
        fix = "pick a split first, e.g. dsd['train']" if hasattr(ds, "keys") and hasattr(ds, "column_names") \
            else "convert it first with as_dataset(df, text_column, label_column)"
        raise TypeError(f"ds must be a datasets.Dataset, got {type(ds).__name__}; {fix}")
    if n is not None and (isinstance(n, bool) or not isinstance(n, numbers.Integral)):
        raise TypeError(f"n must be a whole number of rows (int) or None for all rows, got {type(n).__name__} {n!r}")
    if n is not None and n <= 0:
        raise ValueError(f"n must be a positive number of rows (or None for all rows), got {n}")
    if not isinstance(label_column, str) or label_column not in ds.column_names:
        raise ValueError(f"label_column={label_column!r} is not a column of ds; the columns are {ds.column_names}")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be an integer (e.g. 0), got {type(seed).__name__} {seed!r}")
    if not 0 <= seed < 2**32:
        raise ValueError(f"seed must be in 0..2**32-1, got {seed}")


def stratified_subsample(ds, n: int | None, label_column: str = "label", seed: int = 0):
    """Return ``n`` rows of ``ds`` keeping the class proportions (seeded). ``None`` or ``n >= len`` -> ``ds``.

    Every class keeps at least one row when ``n`` allows it (``datasets`` stratified split).
    """
    _check_subsample_args(ds, n, label_column, seed)
    if n is None or n >= len(ds):
        return ds
    from datasets import ClassLabel

    if not isinstance(ds.features.get(label_column), ClassLabel):
        values = ds[label_column]
        if any(v is None or v != v for v in values):  # None or NaN
            raise ValueError(f"ds: the label column {label_column!r} has missing values (None/NaN); drop those rows "
                             "first, e.g. ds.filter(lambda r: r[label_column] is not None)")
        names = sorted({str(x) for x in values})
        ds = ds.cast_column(label_column, ClassLabel(names=names))
    n_classes = len(set(ds[label_column]))
    if n < n_classes:
        raise ValueError(f"n={n} is smaller than the number of classes ({n_classes}): a stratified subsample keeps "
                         f"at least one row per class. Fix: use n >= {n_classes}, or None for all rows")
    if len(ds) - n < n_classes:  # too few rows left out to stratify them: leave out a seeded random handful
        return ds.train_test_split(test_size=len(ds) - n, seed=seed)["train"]
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

    Every dataset, from every source (offline mirror, local cache, hub), has the same course schema: columns
    ``text`` and ``label`` (a ``ClassLabel``: ``dsd["train"].features["label"].names``) and the splits in
    ``data/registry.json``.

    Train is cut to ``profile.train_size(name)`` rows and every other split to ``profile.eval_size(name)`` rows,
    stratified by label and seeded, unless ``subsample=False`` (full splits). Prints where the data came from.
    """
    prof = get_profile(profile) if not isinstance(profile, Profile) else profile
    dataset_info(name)  # an unknown name fails here, before anything is loaded
    for arg, value in (("subsample", subsample), ("verbose", verbose)):
        if not isinstance(value, bool):
            raise TypeError(f"{arg} must be True or False, got {value!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise TypeError(f"seed must be an integer >= 0 (e.g. seed=0), got {seed!r}")
    dsd, report = load_raw(name)
    if subsample:
        for split in list(dsd):
            n = prof.train_size(name) if split == "train" else prof.eval_size(name)
            dsd[split] = stratified_subsample(dsd[split], n, "label", seed)
    if verbose:
        sizes = ", ".join(f"{s} {len(d):,}" for s, d in dsd.items())
        cut = f"subsampled for profile {prof.name!r}" if subsample else "full splits"
        print(f"[data] {report.name} from {report.source} ({report.detail}); {cut}: {sizes}")
    return dsd


def as_dataset(data: Any, text_column: str = "text", label_column: str = "label", name: str = "data"):
    """Validate a learner's data and return it as a ``datasets.Dataset`` with a ClassLabel label column.

    ``data``: a ``datasets.Dataset`` or a pandas ``DataFrame``. Checks that both columns exist, no text is
    empty, and labels are integers 0..K-1 with every class present. Raises one ``ValueError`` saying what to fix
    (an ``ArgumentTypeError``, also a ``ValueError``, for something that is not a table).
    """
    from datasets import ClassLabel, Dataset

    _, labels = check_table(data, text_column, label_column, name)
    k = check_label_ids(labels, label_column, name)
    ds = Dataset.from_pandas(data, preserve_index=False) if type(data).__name__ == "DataFrame" else data
    if not isinstance(ds.features[label_column], ClassLabel):
        ds = ds.cast_column(label_column, ClassLabel(num_classes=k))
    return ds
