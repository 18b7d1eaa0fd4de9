import pandas as pd
import pytest
from datasets import ClassLabel, Dataset

import course_data
import course_utils as cu
from course_utils.datasets_io import as_dataset, stratified_subsample


def test_mirror_loads_real_sst2_in_course_schema(real_mirror):
    dsd = cu.load_course_dataset("sst2", profile="gpu")  # gpu profile = full splits
    assert {k: len(v) for k, v in dsd.items()} == {"train": 6920, "validation": 872, "test": 1821}
    assert dsd["train"].column_names == ["text", "label"]
    assert dsd["train"].features["label"] == ClassLabel(names=["negative", "positive"])


@pytest.mark.parametrize("name,n_classes", [("imdb", 2), ("trec", 6)])
def test_mirror_other_datasets(real_mirror, name, n_classes):
    dsd, report = course_data.load_raw(name)
    assert report.source == "mirror" and "sha256" in report.verified
    assert dsd["train"].column_names == ["text", "label"]
    assert dsd["train"].features["label"].num_classes == n_classes
    assert "/" not in report.detail.replace("$COURSE_DATA_DIR", "")  # no machine paths in what we print


def test_profile_subsample_is_stratified_and_seeded(real_mirror):
    a = cu.load_course_dataset("imdb", profile="smoke", seed=1, verbose=False)
    b = cu.load_course_dataset("imdb", profile="smoke", seed=1, verbose=False)
    c = cu.load_course_dataset("imdb", profile="smoke", seed=2, verbose=False)
    assert len(a["train"]) == 256 and len(a["test"]) == 200
    assert a["train"]["text"] == b["train"]["text"]
    assert a["train"]["text"] != c["train"]["text"]
    assert sum(a["train"]["label"]) == 128  # balanced classes stay balanced


def test_stratified_subsample_keeps_rare_class():
    ds = Dataset.from_dict({"text": [str(i) for i in range(1000)], "label": [0] * 980 + [1] * 20})
    ds = ds.cast_column("label", ClassLabel(names=["common", "rare"]))
    sub = stratified_subsample(ds, 100, seed=0)
    assert len(sub) == 100 and sum(sub["label"]) == 2
    assert stratified_subsample(ds, None) is ds and stratified_subsample(ds, 5000) is ds
    with pytest.raises(ValueError, match="positive"):
        stratified_subsample(ds, 0)


def test_fake_mirror_verifies_and_casts(fake_registry):
    dsd, report = course_data.load_raw("toy")
    assert report.verified == ["sha256", "row counts"]
    assert dsd["train"].features["label"].names == ["a", "b", "c"]


def test_mirror_missing_one_split_names_the_file(fake_registry):
    (fake_registry / "toy" / "test.parquet").unlink()
    with pytest.raises(course_data.DatasetUnavailableError, match=r"not toy/test\.parquet.*train\.parquet"):
        course_data.load_raw("toy")


def test_damaged_mirror_file_is_detected(fake_registry):
    with open(fake_registry / "toy" / "train.parquet", "ab") as fh:
        fh.write(b"garbage")
    with pytest.raises(course_data.DatasetVerificationError, match="sha256"):
        course_data.load_raw("toy")


def test_unknown_dataset_lists_known_ones():
    with pytest.raises(ValueError, match=r"unknown dataset 'sst5'.*imdb.*sst2.*trec"):
        cu.load_course_dataset("sst5")


def test_offline_without_copy_is_one_clear_error(fake_registry, monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "empty"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    with pytest.raises(course_data.DatasetUnavailableError) as info:
        course_data.load_raw("toy")
    msg = str(info.value)
    assert "COURSE_DATA_DIR" in msg and "HF_HUB_OFFLINE" in msg and "connect to the internet" in msg
    assert info.value.__cause__ is None and info.value.__suppress_context__  # no chained hub traceback


def test_as_dataset_accepts_dataframe_and_rejects_bad_input():
    df = pd.DataFrame({"review": ["good", "bad", "fine"], "y": [1, 0, 2]})
    ds = as_dataset(df, "review", "y")
    assert ds.features["y"].num_classes == 3
    with pytest.raises(ValueError, match="text_column='text' is not a column"):
        as_dataset(df, "text", "y")
    with pytest.raises(ValueError, match="0..K-1"):
        as_dataset(pd.DataFrame({"text": ["a", "b"], "label": [1, 2]}))
    with pytest.raises(ValueError, match="empty"):
        as_dataset(pd.DataFrame({"text": ["a", "  "], "label": [0, 1]}))
    with pytest.raises(ValueError, match="integers"):
        as_dataset(pd.DataFrame({"text": ["a", "b"], "label": ["pos", "neg"]}))
    with pytest.raises(ValueError, match="DataFrame"):
        as_dataset([("a", 1)])
