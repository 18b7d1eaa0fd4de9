"""Checking what a learner passes to a helper: one clear error that names the argument and says how to fix it.

Every public helper of the course checks its arguments with these functions, so the same mistake gets the same
message everywhere: ``check_texts`` (a list of strings), ``check_table`` (a DataFrame or ``datasets.Dataset`` with
a text and an integer-label column), ``check_label_ids`` (labels 0..K-1), and scalar checks.
"""
from __future__ import annotations

import numbers
from typing import Any, Sequence


class ArgumentTypeError(TypeError, ValueError):
    """An argument of the wrong type. A ``TypeError``, and also a ``ValueError`` for code written before the split."""


def check_int(name: str, value: Any, minimum: int = 1, maximum: int | None = None, hint: str = "") -> int:
    """``value`` as an int in ``[minimum, maximum]`` (a bool is not an int here)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ArgumentTypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}"
                                + (f"; {hint}" if hint else f"; pass e.g. {name}={max(minimum, 1)}"))
    if value < minimum or (maximum is not None and value > maximum):
        bounds = f">= {minimum}" if maximum is None else f"in [{minimum}, {maximum}]"
        raise ValueError(f"{name} must be an integer {bounds}, got {value!r}" + (f"; {hint}" if hint else ""))
    return int(value)


def check_number(name: str, value: Any, low: float, high: float, closed_low: bool = True) -> float:
    """``value`` as a float in ``[low, high)`` (``(low, high)`` with ``closed_low=False``); NaN is refused."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ArgumentTypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    ok = (low <= value if closed_low else low < value) and value < high  # also False for NaN
    if not ok:
        interval = f"{'[' if closed_low else '('}{low:g}, {high:g})"
        raise ValueError(f"{name} must be a number in {interval}, got {value!r}")
    return float(value)


def check_choice(name: str, value: Any, choices: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {tuple(choices)}, got {value!r}")
    return value


def check_texts(texts: Any, name: str = "texts", allow_blank: bool = False) -> list[str]:
    """A non-empty list of strings, from a list, tuple, numpy array or pandas Series of strings.

    ``allow_blank=False`` also refuses empty or blank strings (NaN in a text column is a missing text).
    """
    how = "pass a list of strings, e.g. df['text'].tolist() or [\"a great film\"]"
    if isinstance(texts, (str, bytes)):
        raise ArgumentTypeError(f"{name} must be a list of strings, got a single string: wrap it in a list, "
                                f"e.g. [{texts[:30]!r}]")
    kind = type(texts).__name__
    if kind == "DataFrame" or isinstance(texts, dict) or kind in ("Dataset", "DatasetDict"):
        raise ArgumentTypeError(f"{name} must be a list of strings, got a {kind} (iterating over it gives its "
                                f"column names or rows, not texts): {how}")
    if isinstance(texts, (set, frozenset)):
        raise ArgumentTypeError(f"{name} must be a list of strings, got a {kind}, which has no order "
                                f"(predictions could not be matched to texts): {how}")
    if getattr(texts, "ndim", 1) != 1:
        raise ArgumentTypeError(f"{name} must be a 1-D list of strings, got an array of shape {texts.shape}: {how}")
    try:
        texts = list(texts)
    except TypeError:
        raise ArgumentTypeError(f"{name} must be a list of strings, got {kind}: {how}") from None
    if not texts:
        raise ValueError(f"{name} is empty: pass at least one text")
    not_str = [i for i, t in enumerate(texts) if not isinstance(t, str)]
    bad = not_str if allow_blank else [i for i, t in enumerate(texts) if not isinstance(t, str) or not t.strip()]
    if bad:
        error = ArgumentTypeError if not_str else ValueError
        raise error(f"{name}: {len(bad)} item(s) are {'' if allow_blank else 'empty or '}not strings (first at "
                    f"position {bad[0]}: {texts[bad[0]]!r}); drop them or fill them first (NaN means a missing text)")
    return texts


# ---- tables: a DataFrame or datasets.Dataset with a text column and an integer label column ---------------------

def _table_fix(data: Any) -> str:
    """How to turn what a learner passed into a DataFrame or Dataset."""
    if hasattr(data, "keys") and hasattr(data, "column_names"):
        return "a DatasetDict holds several splits: pick one, e.g. data['train']"
    if isinstance(data, dict):
        return "wrap a dict of columns: pd.DataFrame(data)"
    return "build one first, e.g. pd.DataFrame({'text': texts, 'label': labels})"


def _table_columns(data: Any, name: str) -> list[str]:
    kind = type(data).__name__
    if kind == "DataFrame":
        return list(data.columns)
    if kind == "Dataset" and hasattr(data, "column_names"):
        return list(data.column_names)
    raise ArgumentTypeError(f"{name}: expected a datasets.Dataset or a pandas DataFrame, got {kind}; "
                            + _table_fix(data))


def _is_missing(x: Any) -> bool:
    return x is None or (isinstance(x, numbers.Real) and x != x)  # None or NaN


def _is_int_label(x: Any) -> bool:
    if isinstance(x, bool):
        return False
    if isinstance(x, numbers.Integral):
        return True
    return isinstance(x, numbers.Real) and float(x).is_integer()  # 1.0 from a float column is fine, NaN is not


def _check_labels(raw: list, label_column: str, name: str) -> list[int]:
    missing = [i for i, x in enumerate(raw) if _is_missing(x)]
    if missing:
        raise ValueError(f"{name}: {len(missing)} row(s) have no label in {label_column!r}: labels must be integers "
                         f"0..K-1 (row {missing[0]} is {raw[missing[0]]!r}); drop those rows first, "
                         f"e.g. df = df.dropna(subset=[{label_column!r}])")
    bad = [i for i, x in enumerate(raw) if not _is_int_label(x)]
    if bad:
        raise ValueError(f"{name}: labels in {label_column!r} must be integers 0..K-1 (row {bad[0]} is "
                         f"{raw[bad[0]]!r}); map names to ids first, e.g. "
                         "df[col] = df[col].astype('category').cat.codes")
    return [int(x) for x in raw]


def check_table(data: Any, text_column: Any = "text", label_column: Any = "label",
                name: str = "data") -> tuple[list[str], list[int]]:
    """Texts and integer labels of a DataFrame or ``datasets.Dataset``; one clear error for what is wrong.

    Checks: the type, that both columns exist and differ, at least one row, no empty or missing text, labels
    that are whole numbers (1.0 is fine; None/NaN, strings, bools and 1.5 are not). The range 0..K-1 is
    ``check_label_ids``'s job.
    """
    columns = _table_columns(data, name)
    for role, col in (("text_column", text_column), ("label_column", label_column)):
        if not isinstance(col, str):
            raise ArgumentTypeError(f"{role} must be a column name (a string), got {type(col).__name__} {col!r}")
        if col not in columns:
            raise ValueError(f"{name}: {role}={col!r} is not a column; the columns are {columns}: "
                             f"pass {role}=<one of them>")
    if text_column == label_column:
        raise ValueError(f"{name}: text_column and label_column are both {text_column!r}; pass the two different "
                         f"columns, e.g. ('text', 'label') (the columns are {columns})")
    if len(data) == 0:
        raise ValueError(f"{name}: the dataset is empty (0 rows)")
    texts = list(data[text_column])
    empty = [i for i, t in enumerate(texts) if not isinstance(t, str) or not t.strip()]
    if empty:
        raise ValueError(f"{name}: {len(empty)} row(s) have an empty or non-string {text_column!r} (first at row "
                         f"{empty[0]}: {texts[empty[0]]!r}); drop or fill them first, "
                         f"e.g. df = df.dropna(subset=[{text_column!r}])")
    return texts, _check_labels(list(data[label_column]), label_column, name)


def check_label_ids(labels: Sequence[int], label_column: str, name: str, min_classes: int = 1) -> int:
    """K, the number of classes, for labels that must be 0..K-1 with every class present (and K >= min_classes)."""
    values = sorted(set(labels))
    if len(values) < min_classes:
        raise ValueError(f"{name}: every row has label {values[0]}: a classifier needs at least {min_classes} "
                         f"classes in {label_column!r} (labels 0..K-1, K >= {min_classes}); add rows of the other "
                         "class(es)")
    k = values[-1] + 1
    if values[0] < 0 or values != list(range(k)):
        raise ValueError(f"{name}: labels in {label_column!r} must be 0..K-1 with every class present; found "
                         f"{values[:10]}{' ...' if len(values) > 10 else ''}: renumber them, e.g. with "
                         "df[col].astype('category').cat.codes")
    return k
