import pytest

from course_utils.profiles import PROFILES, get_profile, profile_name


def test_env_var_selects_profile(monkeypatch):
    for name in PROFILES:
        monkeypatch.setenv("COURSE_PROFILE", name)
        assert get_profile().name == name


def test_unknown_profile_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "laptop")
    with pytest.raises(ValueError, match="COURSE_PROFILE='laptop' is not a profile"):
        profile_name()


def test_auto_detect_without_cuda(monkeypatch):
    import torch

    monkeypatch.delenv("COURSE_PROFILE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert profile_name() == "cpu"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert profile_name() == "gpu"


def test_profiles_grow_from_smoke_to_gpu():
    smoke, cpu, gpu = PROFILES["smoke"], PROFILES["cpu"], PROFILES["gpu"]
    assert smoke.train_size("sst2") < (cpu.train_size("sst2") or 10**9)
    assert cpu.train_size("imdb") is not None and gpu.train_size("imdb") is None
    assert smoke.epochs <= cpu.epochs
    assert gpu.checkpoint("encoder") == "google-bert/bert-base-uncased"
    assert "all-MiniLM-L6-v2" in cpu.checkpoint("encoder")
    for p in PROFILES.values():
        assert p.name in p.summary() and p.checkpoints["encoder"] in p.summary()


def test_unknown_role():
    with pytest.raises(ValueError, match="unknown model role 'decoder'"):
        PROFILES["cpu"].checkpoint("decoder")
