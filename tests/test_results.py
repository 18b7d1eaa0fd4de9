import pytest

import course_utils as cu
from course_utils.results import COLUMNS



def test_record_and_leaderboard(store):
    cu.record_result("01", "tfidf_lr", "LogReg", "sst2", "validation", "accuracy", 0.80, n_train=6920, seconds=1.5, params=10, profile="cpu")
    cu.record_result("01", "tfidf_lr", "LogReg", "sst2", "validation", "f1", 0.79, n_train=6920, profile="cpu")
    cu.record_result("04", "finetune", "MiniLM", "sst2", "validation", "accuracy", 0.88, n_train=6920, profile="cpu")
    header = store.read_text().splitlines()[0].split(",")
    for col in ("chapter", "experiment", "model", "dataset", "split", "metric", "value", "n_train", "profile", "seconds", "params"):
        assert col in header
    board = cu.leaderboard("sst2")
    assert list(board["experiment"]) == ["finetune", "tfidf_lr"]  # best accuracy first
    assert board.loc[1, "f1"] == pytest.approx(0.79) and board.loc[1, "params"] == 10


def test_rerun_replaces_row(store):
    for value in (0.5, 0.6):
        cu.record_result("02", "lstm", "BiLSTM", "sst2", "validation", "accuracy", value, profile="cpu")
    df = cu.load_results()
    assert len(df) == 1 and df.loc[0, "value"] == pytest.approx(0.6)
    cu.record_result("02", "lstm", "BiLSTM", "sst2", "validation", "accuracy", 0.55, profile="smoke")
    assert len(cu.load_results()) == 2 and len(cu.load_results(profile="smoke")) == 1


@pytest.mark.parametrize("value", [float("nan"), "0.9", None, True])
def test_bad_values_rejected(store, value):
    with pytest.raises(ValueError, match="finite number"):
        cu.record_result("01", "x", "m", "d", "s", "accuracy", value)


def test_published_rows_are_marked(store):
    cu.record_result("06", "published", "roberta-base", "sst2", "validation", "accuracy", 0.948, source="published", notes="Liu et al. 2019")
    assert cu.load_results().loc[0, "source"] == "published"
    with pytest.raises(ValueError, match="source"):
        cu.record_result("06", "x", "m", "d", "s", "accuracy", 0.9, source="guess")


def test_leaderboard_keeps_published_rows_in_their_own_table(store):
    cu.record_result("06", "published", "roberta-base", "sst2", "validation", "accuracy", 0.948, source="published", notes="Liu et al. 2019")
    cu.record_result("06", "pretrained_finetune", "MiniLM", "sst2", "validation", "accuracy", 0.77)
    board = cu.leaderboard("sst2")
    assert list(board["experiment"]) == ["pretrained_finetune"] and list(board["source"]) == ["measured"]
    cited = cu.leaderboard("sst2", source="published")
    assert list(cited["model"]) == ["roberta-base"] and list(cited["source"]) == ["published"]
    with pytest.raises(ValueError, match="source must be 'measured'"):
        cu.leaderboard("sst2", source="all")


def test_empty_store(store):
    assert cu.leaderboard().empty
    assert list(cu.load_results().columns) == COLUMNS


def test_numpy_and_torch_scalars_are_accepted(store):
    import numpy as np

    row = cu.record_result("01", "x", "m", "sst2", "validation", "accuracy", np.float32(0.9), n_train=np.int64(10))
    assert row["value"] == "0.9" and row["n_train"] == "10"


@pytest.mark.parametrize("content", ["name,score\nalice,3\n", "my notes about the course\n", "\x00\xff binary"])
def test_foreign_file_is_never_overwritten(store, content):
    store.write_text(content, encoding="latin-1")
    with pytest.raises(cu.results.ResultsFileError, match="not .*COURSE_RESULTS"):
        cu.record_result("01", "x", "m", "sst2", "validation", "accuracy", 0.9)
    assert store.read_text(encoding="latin-1") == content
    with pytest.raises(cu.results.ResultsFileError):
        cu.leaderboard()
    assert sorted(p.name for p in store.parent.iterdir()) == ["results.csv"]  # no lock or temporary file left


def test_empty_file_is_a_fresh_store(store):
    store.write_text("")
    cu.record_result("01", "x", "m", "sst2", "validation", "accuracy", 0.9)
    assert len(cu.load_results()) == 1


def test_failed_write_leaves_the_store_and_no_debris(store, monkeypatch):
    import os

    cu.record_result("01", "x", "m", "sst2", "validation", "accuracy", 0.9)
    before = store.read_text()

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        cu.record_result("01", "y", "m", "sst2", "validation", "accuracy", 0.8)
    assert store.read_text() == before
    assert sorted(p.name for p in store.parent.iterdir()) == ["results.csv"]


def test_lock_file_is_removed_after_a_write(store):
    cu.record_result("01", "x", "m", "sst2", "validation", "accuracy", 0.9)
    assert sorted(p.name for p in store.parent.iterdir()) == ["results.csv"]


def test_leaderboard_filters(store):
    from course_utils.profiles import PROFILES

    cu.record_result("01", "x", "m", "sst2", "validation", "accuracy", 0.9, profile="smoke")
    assert len(cu.leaderboard(profile=PROFILES["smoke"])) == 1  # a Profile works like its name
    assert cu.leaderboard(dataset="imdb").empty  # a course dataset with no result yet: empty, not an error
    with pytest.raises(ValueError, match="no result has dataset='sst-2'"):
        cu.leaderboard(dataset="sst-2")


def test_a_store_without_a_source_column_counts_as_measured(store):
    store.write_text("chapter,experiment,model,dataset,split,metric,value,n_train,profile\n"
                     "01,x,m,sst2,validation,accuracy,0.8,10,cpu\n")
    board = cu.leaderboard()
    assert list(board["experiment"]) == ["x"] and list(board["source"]) == ["measured"]
    assert cu.leaderboard(source="published").empty
