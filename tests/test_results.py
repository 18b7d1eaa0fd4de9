import pytest

import course_utils as cu
from course_utils.results import COLUMNS


@pytest.fixture
def store(tmp_path, monkeypatch):
    path = tmp_path / "results.csv"
    monkeypatch.setenv("COURSE_RESULTS", str(path))
    return path


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


def test_empty_store(store):
    assert cu.leaderboard().empty
    assert list(cu.load_results().columns) == COLUMNS
