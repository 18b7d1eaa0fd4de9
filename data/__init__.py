"""course_data: the registry of the course's datasets and the code that downloads, caches and verifies them.

This folder (`data/` in the repository) is installed as the package ``course_data``. It never holds the
datasets themselves. Sources are tried in this order:

1. an offline mirror folder, ``$COURSE_DATA_DIR/<name>/<split>.parquet`` (CI points it at ``../shared/data``;
   a workshop teacher can point it at a USB stick or a shared drive),
2. the local Hugging Face cache (what an earlier online run downloaded),
3. the Hugging Face hub, at the revision pinned in ``registry.json``.

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


class DatasetUnavailableError(RuntimeError):
    """Raised when a course dataset cannot be loaded from any source; the message says how to fix it."""


class DatasetVerificationError(RuntimeError):
    """Raised when a loaded dataset does not match the registry (row count or checksum)."""


@lru_cache(maxsize=1)
def registry() -> dict[str, dict[str, Any]]:
    """The dataset registry (``data/registry.json``) as a dict keyed by course name."""
    reg = json.loads(REGISTRY_PATH.read_text())
    reg.pop("_comment", None)
    return reg


def dataset_info(name: str) -> dict[str, Any]:
    """Registry entry of ``name``; raises ``ValueError`` listing the known names if it is unknown."""
    reg = registry()
    if name not in reg:
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


def _features(info: dict[str, Any], features):
    """Cast the label column to a ClassLabel with the registry's names (the hub's schema)."""
    from datasets import ClassLabel

    new = features.copy()
    new[info["label_column"]] = ClassLabel(names=info["label_names"])
    return new


def _load_mirror(name: str, info: dict[str, Any], root: Path, verify: bool):
    import datasets

    folder = root / info["mirror"]["folder"]
    expected = info["mirror"]["splits"]
    missing = [s for s in expected if not (folder / f"{s}.parquet").is_file()]
    if missing:
        return None, f"the mirror folder has no {name}/{missing[0]}.parquet"
    checked: list[str] = []
    if verify:
        for split, exp in expected.items():
            digest = sha256_of(folder / f"{split}.parquet")
            if digest != exp["sha256"]:
                raise DatasetVerificationError(
                    f"{name}/{split}.parquet in the mirror folder (${MIRROR_ENV}) has sha256 {digest[:12]}..., "
                    f"expected {exp['sha256'][:12]}...: the file is damaged or a different version. "
                    "Copy it again or unset COURSE_DATA_DIR to download from the hub."
                )
        checked.append("sha256")
    files = {split: str(folder / f"{split}.parquet") for split in expected}
    with _quiet_progress():
        dsd = datasets.load_dataset("parquet", data_files=files, cache_dir=cache_dir())
        dsd = dsd.cast(_features(info, dsd[next(iter(dsd))].features))
    if verify:
        _check_rows(name, dsd, {s: e["rows"] for s, e in expected.items()}, "mirror")
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
    """Load from the local HF cache or the hub. Returns (DatasetDict, source) or raises DatasetUnavailableError."""
    import datasets

    try:
        dsd = datasets.load_dataset(info["hub_id"], info["config"], revision=info["revision"], cache_dir=cache_dir())
    except Exception as exc:  # network errors, offline mode, missing cache: all end in one clear message
        raise DatasetUnavailableError(_unavailable_message(name, info, exc)) from None
    source = "cache" if hub_offline() else "hub"
    dsd = datasets.DatasetDict({k: v for k, v in dsd.items() if k in info["hub_rows"]})
    if verify:
        _check_rows(name, dsd, info["hub_rows"], "hub")
    # The hub hides test labels of some GLUE sets (label = -1): drop such splits rather than train on them.
    label = info["label_column"]
    hidden = [s for s, d in dsd.items() if label in d.column_names and -1 in set(d[label][:100])]
    for split in hidden:
        del dsd[split]
    return dsd, source, hidden


def _unavailable_message(name: str, info: dict[str, Any], exc: BaseException) -> str:
    where = "HF_HUB_OFFLINE is set" if hub_offline() else "the hub could not be reached"
    return (
        f"Could not load dataset {name!r} ({info['hub_id']}): it is not in a local mirror, not in the Hugging Face "
        f"cache, and {where} ({type(exc).__name__}). Fix one of these: (1) connect to the internet and run again "
        f"(or `python -m course_data {name}` once to cache it); (2) set COURSE_DATA_DIR to a folder holding "
        f"{info['mirror']['folder']}/<split>.parquet files (see data/README.md); "
        "(3) if you are online, unset HF_HUB_OFFLINE."
    )


def load_raw(name: str, verify: bool = True):
    """Load a course dataset in the hub's schema as a ``datasets.DatasetDict``, plus a ``LoadReport``.

    The label column is a ``ClassLabel`` with the registry's names in every source. Raises ``ValueError`` for an
    unknown name, ``DatasetUnavailableError`` when no source has it, ``DatasetVerificationError`` on a bad copy.
    """
    info = dataset_info(name)
    root = mirror_dir()
    reason = f"{MIRROR_ENV} is not set"
    if root is not None:
        dsd, checked = _load_mirror(name, info, root, verify)
        if dsd is not None:
            return dsd, LoadReport(name, "mirror", f"offline copy in ${MIRROR_ENV}", checked)
        reason = checked  # the reason the mirror could not serve it
    dsd, source, hidden = _load_hub(name, info, verify)
    detail = f"{info['hub_id']}@{info['revision']}; mirror skipped: {reason}"
    if hidden:
        detail += f"; dropped split(s) {hidden} (labels hidden on the hub)"
    return dsd, LoadReport(name, source, detail, ["row counts"] if verify else [])


def card(name: str) -> str:
    """The dataset card (markdown) of ``name``."""
    return (REGISTRY_PATH.parent / dataset_info(name)["card"]).read_text()
