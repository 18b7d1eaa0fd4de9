"""A stand-in for the Hugging Face hub's *datasets*, for tests and CI only (never imported by course code).

The course must work for the learner who opens a Colab badge: ``load_course_dataset`` then calls
``datasets.load_dataset(hub_id, config, revision=...)`` and gets data in the HUB's shape (SetFit/sst2: columns
``text``, ``label`` as int64, ``label_text``; stanfordnlp/imdb: ``label`` as ClassLabel ``neg``/``pos``;
CogComp/trec: ``coarse_label`` and ``fine_label`` as ClassLabels). CI has no hub, so:

- ``build(shared, out)`` writes hub-shaped parquet files from the offline copies in ``../shared/data``
  (``out/<owner>/<name>/<split>.parquet``), with the hub's column names, dtypes, label names and split names;
- ``install(out)`` replaces ``datasets.load_dataset`` in this process by a function that answers the hub ids
  in ``HUB_SCHEMAS`` from those files (with the hub's features), and defers to the real function for
  everything else (``load_dataset("parquet", ...)``, ...). Any other hub id fails as it would offline.
- ``sitecustomize.py`` (beside this file) calls ``install`` at interpreter start when ``COURSE_HUBSIM_DIR`` is set,
  so the notebook kernels that nbval starts use it too (``scripts/test.sh`` runs every chapter this way).

What the stand-in cannot reproduce is listed in ``HUB_SCHEMAS`` (``missing``): IMDB's 50,000-review
``unsupervised`` split is not in the offline copy, so it is absent here (the course drops it anyway).
"""
from __future__ import annotations

import functools
import os
from pathlib import Path

# TREC's 50 fine labels in the order of the hub's ClassLabel (CogComp/trec dataset card / script).
TREC_FINE = [
    "ABBR:abb", "ABBR:exp", "ENTY:animal", "ENTY:body", "ENTY:color", "ENTY:cremat", "ENTY:currency", "ENTY:dismed",
    "ENTY:event", "ENTY:food", "ENTY:instru", "ENTY:lang", "ENTY:letter", "ENTY:other", "ENTY:plant", "ENTY:product",
    "ENTY:religion", "ENTY:sport", "ENTY:substance", "ENTY:symbol", "ENTY:techmeth", "ENTY:termeq", "ENTY:veh",
    "ENTY:word", "DESC:def", "DESC:desc", "DESC:manner", "DESC:reason", "HUM:gr", "HUM:ind", "HUM:title", "HUM:desc",
    "LOC:city", "LOC:country", "LOC:mount", "LOC:other", "LOC:state", "NUM:code", "NUM:count", "NUM:date",
    "NUM:dist", "NUM:money", "NUM:ord", "NUM:other", "NUM:period", "NUM:perc", "NUM:speed", "NUM:temp",
    "NUM:volsize", "NUM:weight",
]
TREC_COARSE = ["ABBR", "ENTY", "DESC", "HUM", "LOC", "NUM"]

# hub id -> how the hub serves it: the offline folder it is built from, its splits, and its features.
HUB_SCHEMAS = {
    "SetFit/sst2": {"folder": "sst2", "splits": ["train", "validation", "test"], "missing": []},
    "stanfordnlp/imdb": {"folder": "imdb", "splits": ["train", "test"], "missing": ["unsupervised"]},
    "CogComp/trec": {"folder": "trec", "splits": ["train", "test"], "missing": []},
}


def hub_features(hub_id: str):
    """The ``datasets.Features`` the hub serves for ``hub_id`` (from its dataset card)."""
    from datasets import ClassLabel, Features, Value

    if hub_id == "SetFit/sst2":
        return Features({"text": Value("string"), "label": Value("int64"), "label_text": Value("string")})
    if hub_id == "stanfordnlp/imdb":
        return Features({"text": Value("string"), "label": ClassLabel(names=["neg", "pos"])})
    if hub_id == "CogComp/trec":
        return Features({"text": Value("string"), "coarse_label": ClassLabel(names=TREC_COARSE),
                         "fine_label": ClassLabel(names=TREC_FINE)})
    raise KeyError(hub_id)


def _hub_frame(hub_id: str, df):
    """Reshape one offline-copy DataFrame into the hub's columns (same rows, same order)."""
    if hub_id == "SetFit/sst2":
        out = df[["sentence", "label"]].rename(columns={"sentence": "text"})
        out["label_text"] = out["label"].map({0: "negative", 1: "positive"})
        return out
    if hub_id == "stanfordnlp/imdb":
        return df[["text", "label"]]
    if hub_id == "CogComp/trec":
        out = df[["text", "coarse_label"]].copy()
        out["fine_label"] = df["fine_label_name"].map(TREC_FINE.index)
        return out
    raise KeyError(hub_id)


def build(shared: str | Path, out: str | Path) -> Path:
    """Write the hub-shaped copies of every dataset in ``HUB_SCHEMAS`` under ``out``; returns ``out``."""
    import pandas as pd
    from datasets import Dataset

    shared, out = Path(shared), Path(out)
    for hub_id, spec in HUB_SCHEMAS.items():
        target = out / hub_id
        target.mkdir(parents=True, exist_ok=True)
        for split in spec["splits"]:
            df = _hub_frame(hub_id, pd.read_parquet(shared / spec["folder"] / f"{split}.parquet"))
            ds = Dataset.from_pandas(df.reset_index(drop=True), features=hub_features(hub_id), preserve_index=False)
            ds.to_parquet(str(target / f"{split}.parquet"))
    return out


def install(root: str | Path) -> None:
    """Make ``datasets.load_dataset(hub_id, ...)`` answer the ids in ``HUB_SCHEMAS`` from ``root``."""
    import datasets

    if getattr(datasets.load_dataset, "_course_hubsim", False):
        return
    real = datasets.load_dataset
    root = Path(root)

    @functools.wraps(real)
    def load_dataset(path, name=None, *args, **kwargs):
        if path not in HUB_SCHEMAS:
            if "/" in str(path) and not os.path.exists(str(path)):  # any other hub id: as offline with no cache
                raise ConnectionError(f"hub stand-in: {path} is not available (no network in tests)")
            return real(path, name, *args, **kwargs)
        spec = HUB_SCHEMAS[path]
        files = {split: str(root / path / f"{split}.parquet") for split in spec["splits"]}
        return real("parquet", data_files=files, features=hub_features(path), cache_dir=kwargs.get("cache_dir"))

    load_dataset._course_hubsim = True
    datasets.load_dataset = load_dataset


if __name__ == "__main__":  # python tests/hubsim/course_hubsim.py SHARED_DATA OUT
    import sys

    print(f"[hubsim] hub-shaped datasets written to {build(sys.argv[1], sys.argv[2])}")
