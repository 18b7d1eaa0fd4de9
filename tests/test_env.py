import random
import re

import numpy as np
import torch

import course_utils as cu
from course_utils import env as env_mod


def test_setup_prints_what_a_helper_needs(capsys, monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "smoke")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    cu.models.hub_reachable.cache_clear()
    env = cu.setup(chapter="07", seed=3)
    out = capsys.readouterr().out
    assert env.profile.name == "smoke" and env.is_smoke and env.offline
    for needle in ("Chapter 07", "torch", "transformers", "datasets", "device:", "profile 'smoke'", "data from:", "models from:"):
        assert needle in out, needle
    assert "/work/" not in out and "/root/" not in out and "/tmp/" not in out  # no machine paths
    cu.models.hub_reachable.cache_clear()


def test_set_seed_makes_runs_repeatable():
    cu.set_seed(5)
    a = (random.random(), np.random.rand(), torch.rand(1).item())
    cu.set_seed(5)
    b = (random.random(), np.random.rand(), torch.rand(1).item())
    assert a == b


def test_colab_detection(monkeypatch):
    monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)
    assert not env_mod.in_colab()
    monkeypatch.setenv("COLAB_RELEASE_TAG", "release-colab_20261101")
    assert env_mod.in_colab()


def test_colab_url_points_at_the_file():
    url = env_mod.colab_url("chapters/01_bag_of_words.ipynb")
    # the branch or tag the badge opens is configurable (main, or the course's release tag)
    assert re.search(r"/blob/[^/]+/chapters/01_bag_of_words\.ipynb$", url) and env_mod.REPO_SLUG in url


def test_course_data_cli(real_mirror, capsys):
    from course_data.__main__ import main

    assert main(["trec"]) == 0
    assert "ok trec: mirror" in capsys.readouterr().out
    assert main(["nope"]) == 1
    assert "unknown dataset 'nope'" in capsys.readouterr().out


def _pinned_lines(path):
    return sorted(line.strip() for line in path.read_text(encoding="utf-8").splitlines()
                  if line.strip() and not line.startswith("#"))


def test_packaged_tested_versions_agree_with_the_constraints():
    from pathlib import Path

    root = Path(env_mod.__file__).resolve().parent.parent
    constraints = root / "constraints" / "tested.txt"
    packaged = Path(env_mod.__file__).resolve().parent / "tested_versions.txt"
    assert _pinned_lines(packaged) == _pinned_lines(constraints), "run bash scripts/freeze_tested.sh"
    pins = env_mod.tested_versions()
    for name in env_mod.DRIFT_PACKAGES:
        assert name in pins, name
    assert pins["torch"] == "2.13.0" and "+" not in pins["torch"]  # satisfied by the CPU, CUDA and macOS builds
    assert not any(line.startswith(("-e", "bow-to-bert")) for line in _pinned_lines(constraints))


def test_version_drift_names_each_difference():
    pins = env_mod.tested_versions()
    same = {name: pins[name] for name in env_mod.DRIFT_PACKAGES}
    assert env_mod.version_drift(installed=same, colab=False) == []
    same["torch"] = pins["torch"] + "+cu126"  # a local build label is not a difference
    assert env_mod.version_drift(installed=same, colab=False) == []
    drifted = dict(same, transformers="99.0.0", **{"scikit-learn": "0.1"})
    lines = env_mod.version_drift(installed=drifted, colab=False)
    assert len(lines) == 2
    assert lines[0].startswith("note: transformers 99.0.0") and pins["transformers"] in lines[0]
    assert "scikit-learn 0.1" in lines[1] and "scripts/setup.sh" in lines[1]


def test_colab_torch_is_information_not_a_warning():
    pins = env_mod.tested_versions()
    installed = {name: pins[name] for name in env_mod.DRIFT_PACKAGES}
    installed["torch"] = "2.9.0+cu126"
    (line,) = env_mod.version_drift(installed=installed, colab=True)
    assert line.startswith("info: torch 2.9.0+cu126 (Colab's own build)") and "fine" in line
    assert "warn" not in line.lower() and "scripts/setup.sh" not in line


def test_setup_prints_one_line_per_difference(capsys, monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "smoke")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(env_mod, "version_drift", lambda: ["note: datasets 0.0 is installed", "info: torch x"])
    cu.models.hub_reachable.cache_clear()
    cu.setup(chapter="07")
    out = capsys.readouterr().out
    assert "  note: datasets 0.0 is installed\n  info: torch x\n" in out
    cu.models.hub_reachable.cache_clear()
