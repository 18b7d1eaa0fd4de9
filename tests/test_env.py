import random

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
    assert url.endswith("/blob/main/chapters/01_bag_of_words.ipynb") and env_mod.REPO_SLUG in url


def test_course_data_cli(real_mirror, capsys):
    from course_data.__main__ import main

    assert main(["trec"]) == 0
    assert "ok trec: mirror" in capsys.readouterr().out
    assert main(["nope"]) == 1
    assert "unknown dataset 'nope'" in capsys.readouterr().out
