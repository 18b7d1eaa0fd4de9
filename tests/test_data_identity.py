"""One dataset identity: the offline mirror and the hub (as the hub serves it) give identical course datasets.

The hub cannot be reached here, so the hub side is the stand-in in ``tests/hubsim``: hub-shaped files (the hub's
column names, dtypes, label names and split names) built from the offline copies, answered through
``datasets.load_dataset(hub_id, ...)`` - the same call ``course_data`` makes for a learner online.
"""
import hashlib
import sys
from pathlib import Path

import pytest

import course_data
import course_utils as cu

sys.path.insert(0, str(Path(__file__).parent / "hubsim"))
import course_hubsim  # noqa: E402

NAMES = sorted(course_data.registry())


@pytest.fixture(scope="module")
def hub_files(tmp_path_factory):
    from conftest import SHARED

    if not (SHARED / "manifest.json").is_file():
        pytest.skip("the offline data mirror (../shared/data) is not present")
    return course_hubsim.build(SHARED, tmp_path_factory.mktemp("hub"))


@pytest.fixture
def hub_path(hub_files, monkeypatch):
    """The hub code path: offline, datasets.load_dataset answered by the stand-in (tests unset the mirror)."""
    import datasets

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(datasets, "load_dataset", datasets.load_dataset)  # restored after the test
    course_hubsim.install(hub_files)
    return hub_files


@pytest.fixture
def hub_only(hub_path, monkeypatch):
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    return hub_path


def content_fingerprint(ds) -> str:
    """sha256 of the rows' content in order (independent of how the table was built)."""
    digest = hashlib.sha256()
    for text, label in zip(ds["text"], ds["label"]):
        digest.update(f"{label}\t{text}\n".encode())
    return digest.hexdigest()


def snapshot(dsd):
    return {split: (ds.features, len(ds), content_fingerprint(ds)) for split, ds in dsd.items()}


@pytest.mark.parametrize("name", NAMES)
def test_hub_files_have_the_hub_schema(hub_files, name):
    from datasets import load_dataset

    hub_id = course_data.dataset_info(name)["hub"]["id"]
    spec = course_hubsim.HUB_SCHEMAS[hub_id]
    files = {s: str(hub_files / hub_id / f"{s}.parquet") for s in spec["splits"]}
    raw = load_dataset("parquet", data_files=files)
    assert raw["train"].features == course_hubsim.hub_features(hub_id)
    if hub_id == "SetFit/sst2":  # the hub serves label as a plain int64, plus label_text
        assert raw["train"].features["label"].dtype == "int64" and "label_text" in raw["train"].column_names


@pytest.mark.parametrize("name", NAMES)
def test_mirror_and_hub_give_identical_datasets(real_mirror, hub_path, monkeypatch, name):
    mirror, mirror_report = course_data.load_raw(name)
    assert mirror_report.source == "mirror"
    monkeypatch.delenv("COURSE_DATA_DIR")
    hub, hub_report = course_data.load_raw(name)
    assert hub_report.source == "cache" and course_data.dataset_info(name)["hub"]["id"] in hub_report.detail
    assert snapshot(mirror) == snapshot(hub)
    info = course_data.dataset_info(name)
    assert {s: len(d) for s, d in hub.items()} == info["splits"]  # hub rows == mirror rows == registry
    assert hub["train"].column_names == ["text", "label"]
    assert hub["train"].features["label"].names == info["label_names"]


@pytest.mark.parametrize("name", NAMES)
def test_profile_subsample_is_the_same_from_both_sources(real_mirror, hub_path, monkeypatch, name):
    a = cu.load_course_dataset(name, profile="smoke", verbose=False)
    monkeypatch.delenv("COURSE_DATA_DIR")
    b = cu.load_course_dataset(name, profile="smoke", verbose=False)
    assert snapshot(a) == snapshot(b)


def test_every_split_a_chapter_uses_exists_everywhere(hub_only):
    """Chapter 02 evaluates on sst2["test"]: the hub copy must have it, with labels (GLUE's hides them)."""
    dsd, _ = course_data.load_raw("sst2")
    assert set(dsd) == {"train", "validation", "test"}
    assert set(dsd["test"]["label"]) == {0, 1}


def test_a_changed_hub_schema_is_one_clear_error(hub_only, monkeypatch):
    import datasets
    from datasets import Dataset, DatasetDict

    wrong = DatasetDict({s: Dataset.from_dict({"sentence": ["a"], "label": [0]}) for s in ("train", "validation", "test")})
    monkeypatch.setattr(datasets, "load_dataset", lambda *a, **k: wrong)
    with pytest.raises(course_data.DatasetVerificationError, match="no text column 'text'.*pin `revision`"):
        course_data.load_raw("sst2")


def test_unused_hub_splits_are_dropped(hub_only, monkeypatch):
    """IMDB's hub copy has an 'unsupervised' split (labels -1); the course schema keeps train and test only."""
    import datasets

    real = datasets.load_dataset

    def with_unsupervised(*args, **kwargs):
        dsd = real(*args, **kwargs)
        dsd["unsupervised"] = dsd["test"].select(range(3)).cast_column("label", datasets.Value("int64")).map(
            lambda r: {"label": -1})
        return dsd

    monkeypatch.setattr(datasets, "load_dataset", with_unsupervised)
    dsd, _ = course_data.load_raw("imdb")
    assert set(dsd) == {"train", "test"}
