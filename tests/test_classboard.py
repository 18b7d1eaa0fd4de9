"""Class leaderboard: merging learners' results.csv files (good, malformed, mixed profiles, published rows)."""
import importlib.util
from pathlib import Path

import pandas as pd
import pytest

from course_utils import classboard as cb
from course_utils.results import COLUMNS

ROOT = Path(__file__).resolve().parents[1]


def row(**kw):
    base = dict(chapter="04", experiment="fine_tune", model="m", dataset="sst2", split="validation",
                metric="accuracy", value=0.8, n_train=6920, profile="cpu", seconds=60, params=1000,
                source="measured", notes="", recorded_at="2025-01-01T00:00:00+00:00")
    base.update(kw)
    return base


def write(path: Path, rows, columns=COLUMNS):
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows)[list(columns)].to_csv(path, index=False)
    return path


@pytest.fixture
def collected(tmp_path):
    d = tmp_path / "collected"
    write(d / "alice.csv", [row(value=0.85), row(value=0.88, experiment="lr_sweep"),
                            row(value=0.93, source="published", experiment="published"),
                            row(dataset="imdb", split="test", value=0.90)])
    write(d / "bob" / "results.csv", [row(value=0.87), row(value=0.91, profile="gpu"),
                                      row(value=0.99, profile="smoke")])
    write(d / "carol.csv", [row(value=0.80), row(metric="f1", value=0.95)])
    return d


def load_cli():
    spec = importlib.util.spec_from_file_location("class_leaderboard", ROOT / "scripts" / "class_leaderboard.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.main


def test_learner_names(tmp_path):
    assert cb.learner_name(tmp_path / "alice.csv") == "alice"
    assert cb.learner_name(tmp_path / "bob" / "results.csv") == "bob"
    assert cb.learner_name(tmp_path / "bob" / "results.csv", "stem") == "results"
    assert cb.learner_name(tmp_path / "x" / "results_dan.csv", r"regex:results_(\w+)\.csv") == "dan"
    with pytest.raises(ValueError):
        cb.learner_name("a.csv", "email")


def test_best_per_learner_measured_only_profiles_apart(collected):
    frames, rejected = cb.read_all(cb.find_files([collected]))
    assert rejected == [] and set(frames) == {"alice", "bob", "carol"}
    board = cb.measured_rows(cb.merge(frames))
    assert "published" not in set(board["source"])
    tables = cb.leaderboards(board, dataset="sst2", metric="accuracy")
    keys = [(k["dataset"], k["split"], k["profile"]) for k, _ in tables]
    assert keys == [("sst2", "validation", "cpu"), ("sst2", "validation", "gpu")]  # smoke left out, never mixed
    cpu = tables[0][1]
    assert list(cpu["learner"]) == ["alice", "bob", "carol"]
    assert list(cpu["value"]) == [0.88, 0.87, 0.80]  # alice's published 0.93 does not count
    assert list(cpu["rank"]) == [1, 2, 3] and set(cpu["profile"]) == {"cpu"}
    assert cpu.loc[0, "experiment"] == "lr_sweep"
    assert list(tables[1][1]["learner"]) == ["bob"]
    smoke = cb.leaderboards(board, "sst2", "accuracy", profile="smoke")
    assert len(smoke) == 1 and smoke[0][1]["value"].tolist() == [0.99]
    text = cb.format_table(*tables[0])
    assert "profile cpu" in text and "higher is better" in text and "0.8800" in text


def test_lower_is_better_metrics():
    df = pd.DataFrame([dict(row(metric="latency_b1_ms", value=v), learner=n) for n, v in (("a", 12.0), ("b", 7.0))])
    assert cb.best_per_learner(df)["learner"].tolist() == ["b", "a"]
    assert cb.lower_is_better("seconds") and not cb.lower_is_better("f1")


@pytest.mark.parametrize("content, problem", [
    (None, "missing column(s) value"),
    ("bad-value", "non-numeric value 'high'"),
    ("", "empty file"),
])
def test_malformed_files_one_line(tmp_path, content, problem):
    path = tmp_path / "dan.csv"
    if content is None:
        write(path, [row()], columns=[c for c in COLUMNS if c != "value"])
    elif content == "bad-value":
        write(path, [row(), row(value="high")])
    else:
        path.write_text("")
    with pytest.raises(cb.MalformedResultsFile) as err:
        cb.read_results(path)
    msg = str(err.value)
    assert str(path) in msg and problem in msg and "\n" not in msg


def test_cli_rejects_and_continues(collected, tmp_path, capsys):
    write(collected / "dan.csv", [row(value="high")])
    write(collected / "eve.csv", [row()], columns=[c for c in COLUMNS if c not in ("metric", "profile")])
    main = load_cli()
    png = tmp_path / "board.png"
    assert main([str(collected), "--dataset", "sst2", "--plot", str(png)]) == 2
    out = capsys.readouterr().out
    assert out.count("rejected:") == 2
    assert "dan.csv: non-numeric value 'high'" in out and "eve.csv: missing column(s) metric, profile" in out
    assert "== sst2 (validation) | accuracy (higher is better) | profile cpu | 3 learner(s)" in out
    assert "profiles not shown: smoke" in out
    assert png.is_file() and png.stat().st_size > 1000
    assert main([str(collected), "--strict"]) == 2
    out = capsys.readouterr().out
    assert "stopped (--strict)" in out and "==" not in out


def test_cli_clean_run_and_profile_choice(collected, capsys):
    main = load_cli()
    assert main([str(collected / "alice.csv"), str(collected / "bob"), "--profile", "gpu"]) == 0
    out = capsys.readouterr().out
    assert "profile gpu" in out and "profile cpu" not in out and "profiles not shown: cpu, smoke" in out
    assert main([str(collected), "--metric", "f1"]) == 0
    assert "carol" in capsys.readouterr().out
    assert main([str(collected), "--dataset", "trec"]) == 1
    assert "no measured rows for dataset trec" in capsys.readouterr().out
