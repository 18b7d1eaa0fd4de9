"""course_data: the registry of the course's datasets and the code that downloads, caches and verifies them.

This folder (``data/`` in the repository) is installed as the package ``course_data``. It never holds the
datasets themselves. Sources are tried in this order:

1. an offline mirror folder, ``$COURSE_DATA_DIR/<name>/<split>.parquet`` (CI points it at ``../shared/data``;
   a workshop teacher can point it at a USB stick or a shared drive),
2. the local Hugging Face cache (what an earlier online run downloaded),
3. the Hugging Face hub, at the revision pinned in ``registry.json``.

Every source is turned into ONE course schema, so a notebook never depends on where the data came from:
columns ``text`` (string) and ``label`` (``ClassLabel`` with the registry's names), the registry's split names
and sizes, and the source's row order. The original column names are listed in each dataset card.
Every load is verified: row counts (and sha256 for mirror files). Learners call
``course_utils.load_course_dataset``, which adds the profile's subsampling on top of ``load_raw``.

Run ``python -m course_data sst2 imdb trec`` before a workshop to fill the cache while the network is good.
"""
from __future__ import annotations

import hashlib
import json
import os
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

REGISTRY_PATH = Path(__file__).with_name("registry.json")
MIRROR_ENV = "COURSE_DATA_DIR"
TEXT, LABEL = "text", "label"  # the course schema's column names, for every dataset and every source


class DatasetUnavailableError(RuntimeError):
    """Raised when a course dataset cannot be loaded from any source; the message says how to fix it."""


class DatasetVerificationError(RuntimeError):
    """Raised when a loaded dataset does not match the registry (row count, checksum, columns or labels)."""


@lru_cache(maxsize=1)
def registry() -> dict[str, dict[str, Any]]:
    """The dataset registry (``data/registry.json``) as a dict keyed by course name."""
    reg = json.loads(REGISTRY_PATH.read_text())
    reg.pop("_comment", None)
    return reg


def dataset_info(name: str) -> dict[str, Any]:
    """Registry entry of ``name``; raises ``ValueError`` listing the known names if it is unknown."""
    reg = registry()
    if not isinstance(name, str) or name not in reg:
        raise ValueError(
            f"unknown dataset {name!r}: the course knows {sorted(reg)}. "
            "To use your own data, pass a pandas DataFrame or datasets.Dataset to the helpers instead."
        )
    return reg[name]


@dataclass
class LoadReport:
    """Where a dataset came from and what was checked."""

    name: str
    source: str  # "mirror", "cache" or "hub"
    detail: str  # human-readable, no machine paths
    verified: list[str]

    def __str__(self) -> str:
        return f"{self.name}: {self.source} ({self.detail}); verified: {', '.join(self.verified) or 'nothing'}"


def mirror_dir() -> Path | None:
    """The offline mirror folder from ``$COURSE_DATA_DIR``, or ``None`` when the variable is unset."""
    value = os.environ.get(MIRROR_ENV)
    return Path(value).expanduser() if value else None


def cache_dir() -> str | None:
    """Where hub downloads are cached: ``$COURSE_CACHE_DIR``, else the Hugging Face default (``None``)."""
    return os.environ.get("COURSE_CACHE_DIR") or None


def sha256_of(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def course_features(info: dict[str, Any]):
    """The course schema of a dataset: ``text`` (string) and ``label`` (ClassLabel with the registry's names)."""
    from datasets import ClassLabel, Features, Value

    return Features({TEXT: Value("string"), LABEL: ClassLabel(names=info["label_names"])})


def to_course_schema(name: str, dsd, source: dict[str, Any], where: str):
    """Turn a ``DatasetDict`` as a source serves it into the course schema (see the module docstring).

    ``source``: the registry's ``hub`` or ``mirror`` entry (its column names and, for the hub, its label names).
    Keeps only the registry's splits and the text and label columns, renamed to ``text``/``label``; the label
    becomes the registry's ``ClassLabel``. Raises ``DatasetVerificationError`` when a column, split or label
    name is not what the registry says.
    """
    import datasets

    info = dataset_info(name)
    missing = [s for s in info["splits"] if s not in dsd]
    if missing:
        raise DatasetVerificationError(
            f"{name} from the {where} has no split {missing[0]!r} (it has {sorted(dsd)}); the registry expects "
            f"{sorted(info['splits'])}. The copy is incomplete or the hub dataset changed: pin `revision`."
        )
    with _quiet_progress():
        return datasets.DatasetDict(
            {split: _split_to_course_schema(f"{name}/{split}", dsd[split], info, source, where) for split in info["splits"]}
        )


def _split_to_course_schema(what: str, ds, info: dict[str, Any], source: dict[str, Any], where: str):
    """One split of ``to_course_schema``: check the source's columns and label names, then rename and cast."""
    from datasets import ClassLabel, Value

    text_col, label_col = source["text_column"], source["label_column"]
    for role, col in (("text", text_col), ("label", label_col)):
        if col not in ds.column_names:
            raise DatasetVerificationError(
                f"{what} from the {where} has no {role} column {col!r} (columns: {ds.column_names}); "
                "the hub dataset changed: pin `revision` in data/registry.json.")
    feature = ds.features[label_col]
    expected = list(source.get("label_names") or info["label_names"])
    if isinstance(feature, ClassLabel) and feature.names != expected:
        raise DatasetVerificationError(
            f"{what} from the {where}: label names {feature.names}, expected {expected} (in this order); "
            "the hub dataset changed: pin `revision` in data/registry.json.")
    ds = ds.select_columns([text_col, label_col])
    if text_col != TEXT:
        ds = ds.rename_column(text_col, TEXT)
    if label_col != LABEL:
        ds = ds.rename_column(label_col, LABEL)
    if isinstance(feature, ClassLabel):  # same integer ids, the course's names
        ds = ds.cast_column(LABEL, Value("int64"))
    return ds.cast(course_features(info))


def _load_mirror(name: str, info: dict[str, Any], root: Path, verify: bool):
    """Load the offline copy. Returns ``(DatasetDict, checks)``, or ``(None, reason)`` when it is not there."""
    import datasets

    spec = info["mirror"]
    folder = root / spec["folder"]
    if not folder.is_dir():
        return None, f"the mirror folder has no {spec['folder']}/ folder"
    missing = [s for s in info["splits"] if not (folder / f"{s}.parquet").is_file()]
    if missing:
        present = sorted(p.name for p in folder.glob("*.parquet"))
        raise DatasetUnavailableError(
            f"the mirror folder (${MIRROR_ENV}) has {spec['folder']}/ but not {spec['folder']}/{missing[0]}.parquet "
            f"(it has {present or 'no parquet files'}; {name} needs {[s + '.parquet' for s in info['splits']]}). "
            f"Copy the missing file(s) again, or unset {MIRROR_ENV} to download from the hub."
        )
    checked: list[str] = []
    if verify:
        for split in info["splits"]:
            digest, expected = sha256_of(folder / f"{split}.parquet"), spec["sha256"][split]
            if digest != expected:
                raise DatasetVerificationError(
                    f"{name}/{split}.parquet in the mirror folder (${MIRROR_ENV}) has sha256 {digest[:12]}..., "
                    f"expected {expected[:12]}...: the file is damaged or a different version. "
                    f"Copy it again or unset {MIRROR_ENV} to download from the hub."
                )
        checked.append("sha256")
    files = {split: str(folder / f"{split}.parquet") for split in info["splits"]}
    with _quiet_progress():
        dsd = datasets.load_dataset("parquet", data_files=files, cache_dir=cache_dir())
    dsd = to_course_schema(name, dsd, spec, "mirror")
    if verify:
        _check_rows(name, dsd, info["splits"], "mirror")
        checked.append("row counts")
    return dsd, checked


def _check_rows(name: str, dsd, expected: dict[str, int], source: str) -> None:
    for split, rows in expected.items():
        if split in dsd and len(dsd[split]) != rows:
            raise DatasetVerificationError(
                f"{name} split {split!r} from the {source} has {len(dsd[split])} rows, expected {rows}. "
                "The copy is incomplete or the hub dataset changed: pin `revision` in data/registry.json."
            )


@contextmanager
def _quiet_progress() -> Iterator[None]:
    """Hide datasets' progress bars while loading (they fill notebooks with noise)."""
    from datasets.utils import logging as ds_logging

    was_enabled = ds_logging.is_progress_bar_enabled()
    ds_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            ds_logging.enable_progress_bar()


def hub_offline() -> bool:
    """True when the user (or CI) told the Hugging Face libraries to stay offline."""
    return any(
        os.environ.get(var, "").strip().lower() in {"1", "true", "yes", "on"}
        for var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE")
    )


def _load_hub(name: str, info: dict[str, Any], verify: bool):
    """Load with ``datasets.load_dataset`` at the registry's revision, in the course schema (row counts checked
    when ``verify``).

    Returns ``(DatasetDict, source)``. ``source`` says how it was asked for, not where the bytes came from:
    ``"cache"`` when an offline variable (``HF_HUB_OFFLINE`` and the like, see ``hub_offline``) is set, so only the
    local Hugging Face cache could serve it; ``"hub"`` otherwise (``load_dataset`` asks the hub and may reuse files
    it cached before). Raises ``DatasetUnavailableError`` (one message with the fix) when neither has it, and
    ``DatasetVerificationError`` from the row check.
    """
    import datasets

    hub = info["hub"]
    try:
        with _quiet_progress():
            dsd = datasets.load_dataset(hub["id"], hub["config"], revision=hub["revision"], cache_dir=cache_dir())
    except Exception as exc:  # network errors, offline mode, missing cache: all end in one clear message
        raise DatasetUnavailableError(_unavailable_message(name, info, exc)) from None
    source = "cache" if hub_offline() else "hub"
    dsd = to_course_schema(name, dsd, hub, source)  # drops the splits the course does not use (IMDB's unsupervised)
    if verify:
        _check_rows(name, dsd, info["splits"], source)
    return dsd, source


def _unavailable_message(name: str, info: dict[str, Any], exc: BaseException) -> str:
    where = "HF_HUB_OFFLINE is set" if hub_offline() else "the hub could not be reached"
    return (
        f"Could not load dataset {name!r} ({info['hub']['id']}): it is not in a local mirror, not in the Hugging Face "
        f"cache, and {where} ({type(exc).__name__}). Fix one of these: (1) connect to the internet and run again "
        f"(or `python -m course_data {name}` once to cache it); (2) set COURSE_DATA_DIR to a folder holding "
        f"{info['mirror']['folder']}/<split>.parquet files (see data/README.md); "
        "(3) if you are online, unset HF_HUB_OFFLINE."
    )


def load_raw(name: str, verify: bool = True):
    """Load a course dataset in the course schema as a ``datasets.DatasetDict``, plus a ``LoadReport``.

    Columns ``text`` and ``label`` (a ``ClassLabel`` with the registry's names) and the registry's splits, from
    every source. Raises ``ValueError`` for an unknown name, ``DatasetUnavailableError`` when no source has it
    (or the mirror folder lacks a file), ``DatasetVerificationError`` on a bad copy.
    """
    info = dataset_info(name)
    root = mirror_dir()
    reason = f"{MIRROR_ENV} is not set"
    if root is not None:
        dsd, checked = _load_mirror(name, info, root, verify)
        if dsd is not None:
            return dsd, LoadReport(name, "mirror", f"offline copy in ${MIRROR_ENV}", checked)
        reason = checked  # the reason the mirror could not serve it
    dsd, source = _load_hub(name, info, verify)
    hub = info["hub"]
    detail = f"{hub['id']}@{hub['revision']}; mirror skipped: {reason}"
    return dsd, LoadReport(name, source, detail, ["row counts", "columns", "label names"] if verify else [])


def card(name: str) -> str:
    """The dataset card (markdown) of ``name``."""
    return (REGISTRY_PATH.parent / dataset_info(name)["card"]).read_text()
