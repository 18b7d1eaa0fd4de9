"""Chapter 06: the family table, tiny random checkpoints of every family (load -> fine-tune -> measure, offline),
cost helpers, quantisation and the published table (the exercise checks: tests/test_ch06_checks.py)."""
from __future__ import annotations

import json

import pytest
import torch

import course_utils as cu
from course_utils import costs as C
from course_utils import variants as V


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny models on a shared 2-core CI machine: one thread is faster than two competing ones."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def sst2_small():
    dsd = cu.load_course_dataset("sst2", profile="smoke", verbose=False)
    train = cu.stratified_subsample(dsd["train"], 64, "label", seed=0)
    evals = cu.stratified_subsample(dsd["validation"], 32, "label", seed=0)
    return dsd["train"]["text"], train, evals


EXPECTED_MODEL = {"wordpiece": "WordPiece", "bytelevel_bpe": "BPE", "unigram": "Unigram"}


@pytest.mark.parametrize("key", list(V.VARIANTS))
def test_tiny_checkpoint_load_finetune_measure(key, sst2_small, tmp_path):
    """The chapter's hub path (load by name/folder -> fine_tune -> measure) on a tiny random checkpoint of `key`."""
    from course_utils.training import fine_tune

    corpus, train, evals = sst2_small
    spec = V.VARIANTS[key]
    path = V.make_tiny_checkpoint(key, tmp_path / key, corpus, vocab_size=400)
    files = {p.name for p in path.iterdir()}
    assert "model.safetensors" in files and not any(f.endswith(".bin") for f in files), files
    config = json.loads((path / "config.json").read_text())
    assert config["model_type"] == spec.model_type

    tok = cu.load_tokenizer(str(path))
    assert type(tok.backend_tokenizer.model).__name__ == EXPECTED_MODEL[spec.tokenizer_kind]
    enc = tok("a gripping , funny movie")
    assert enc["input_ids"][0] == tok.cls_token_id and enc["input_ids"][-1] == tok.sep_token_id
    assert tok.unk_token_id not in enc["input_ids"][1:-1]  # the tokenizer was trained on this kind of text

    res = fine_tune(str(path), train, evals, epochs=1, batch_size=16, learning_rate=1e-3,
                    max_length=32, seed=0, progress=False)
    assert 0.0 <= res.metrics["accuracy"] <= 1.0 and res.metrics["n"] == len(evals)
    assert type(res.model).__name__.endswith("ForSequenceClassification")
    assert res.predict(["great", "awful film"]).shape == (2,)

    cost = C.measure_cost(res.model.cpu(), batch_sizes=(1, 2), seq_len=16, repeats=(2, 1))
    assert cost["params"] == cu.count_parameters(res.model) > 0
    assert cost["disk_fp16_mb"] < cost["disk_fp32_mb"]
    assert cost["latency_b1_ms"] > 0 and cost["latency_b2_ms"] > 0 and cost["peak_mem_mb"] > 0


@pytest.mark.parametrize("model_id,n_params", [
    ("bert-base", 109_482_240), ("distilbert", 66_362_880), ("roberta", 124_645_632), ("albert", 11_683_584),
])
def test_real_configs_match_hub_parameter_counts(model_id, n_params):
    """The offline real-size configs have the hub models' exact parameter counts (encoder without head)."""
    from transformers import AutoModel

    with torch.device("meta"):
        model = AutoModel.from_config(V.build_config(model_id, "real"))
    assert cu.count_parameters(model) == n_params


def test_albert_shares_layers_but_bert_does_not():
    """Cross-layer sharing: ALBERT's parameter count does not grow with depth; BERT's does."""
    albert2, albert6 = (V.build_model("albert", "tiny", num_hidden_layers=n) for n in (2, 6))
    assert cu.count_parameters(albert2) == cu.count_parameters(albert6)
    bert2, bert6 = (V.build_model("bert-base", "tiny", num_hidden_layers=n) for n in (2, 6))
    assert cu.count_parameters(bert6) > cu.count_parameters(bert2)


def test_size_on_disk_matches_bytes_per_param():
    model = V.build_model("tinybert", "tiny", hidden_size=64, intermediate_size=128)
    n = cu.count_parameters(model)
    fp32, fp16 = C.size_on_disk_mb(model, "fp32"), C.size_on_disk_mb(model, "fp16")
    assert n * 4 / 1e6 <= fp32 < n * 4 / 1e6 + 0.05  # + the safetensors header
    assert n * 2 / 1e6 <= fp16 < n * 2 / 1e6 + 0.05


def test_quantize_dynamic_int8_shrinks_and_agrees():
    torch.manual_seed(0)
    model = V.build_model("tinybert", "tiny", vocab_size=100, hidden_size=128, intermediate_size=512)
    q = C.quantize_dynamic_int8(model)
    assert not any(type(m) is torch.nn.Linear for m in q.modules())
    assert any(type(m) is torch.nn.Linear for m in model.modules())  # the original is untouched
    assert C.quantized_size_mb(q) < 0.5 * C.quantized_size_mb(model)
    batch = C.dummy_batch(model, 4, 16)
    with torch.inference_mode():
        a, b = model(**batch).logits, q(**batch).logits
    assert a.shape == b.shape and torch.allclose(a, b, atol=0.1)


def test_pareto_front():
    pts = [(10, 0.90), (20, 0.85), (5, 0.80), (40, 0.95), (30, 0.95), (5, 0.80)]
    assert C.pareto_front(pts) == [2, 5, 0, 4] or C.pareto_front(pts) == [5, 2, 0, 4]
    assert C.pareto_front([(1, 0.5)]) == [0]


def test_published_numbers_are_cited_and_in_range():
    for row in V.PUBLISHED_SST2:
        assert row["key"] in V.VARIANTS and 50 < row["value"] < 100
        assert row["url"].startswith("https://") and row["source"] and row["split"] in ("validation", "test")
    assert {"electra", "deberta-v3"}.isdisjoint(r["key"] for r in V.PUBLISHED_SST2)  # unchecked numbers stay out


@pytest.mark.parametrize("call,match", [
    (lambda: V.get_variant("bart"), "key="),
    (lambda: V.build_config("bert-base", size="huge"), "size"),
    (lambda: V.build_config("bert-base", num_labels=0), "num_labels"),
    (lambda: V.train_tokenizer("bpe", ["a b c"]), "kind"),
    (lambda: V.train_tokenizer("wordpiece", ["", "  "]), "texts"),
    (lambda: V.train_tokenizer("wordpiece", ["a"], vocab_size=3), "vocab_size"),
    (lambda: C.size_on_disk_mb(V.build_model("tinybert", "tiny"), "int4"), "dtype"),
    (lambda: C.measure_latency(V.build_model("tinybert", "tiny"), repeats=0), "repeats"),
    (lambda: C.dummy_batch(V.build_model("tinybert", "tiny"), 1, 4096), "seq_len"),
    (lambda: C.measure_cost(V.build_model("tinybert", "tiny"), batch_sizes=(1, 2), seq_len=8, repeats=(1,)), "repeats"),
])
def test_helpers_raise_clear_value_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_variant_table_lists_every_family():
    table = V.variant_table()
    assert set(table["family"]) >= {"BERT", "RoBERTa", "DistilBERT", "ALBERT", "MobileBERT", "ELECTRA", "DeBERTa-v3",
                                    "MiniLM", "TinyBERT"}
    assert set(table["tokenizer"]) == set(V.TOKENIZER_KINDS)


def test_published_table_marks_every_row_published_and_cites_it():
    table = V.published_table()
    assert list(table["key"]) == [r["key"] for r in V.PUBLISHED_SST2]  # a citation list in paper order, not a ranking
    assert set(table["source"]) == {"published"}  # the same word as the results store's source column
    assert list(table["reference"]) == [r["source"] for r in V.PUBLISHED_SST2]
    assert all(link.startswith("https://") for link in table["link"])


def test_tokenizer_training_prints_nothing(capfd):
    """No progress output: in a notebook it became blank stray lines (issue #16 item 7)."""
    for kind in V.TOKENIZER_KINDS:
        V.train_tokenizer(kind, ["a gripping , funny movie", "a dull one"] * 20, vocab_size=60)
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_pareto_front_rejects_malformed_points():
    with pytest.raises(TypeError, match=r"\(cost, accuracy\) pairs"):
        C.pareto_front([1.0, 2.0])
    with pytest.raises(ValueError, match="finite"):
        C.pareto_front([(float("nan"), 0.9), (1.0, 0.8)])


# The exercise checks of chapter 06 are tested in tests/test_ch06_checks.py.


def test_costs_measure_an_encoder_with_a_course_head():
    """measure_cost works on the course's EncoderWithHead (chapter 05's models), whose config is its encoder's."""
    from transformers import AutoModel

    from course_utils.heads import EncoderWithHead, make_head

    torch.manual_seed(0)
    config = V.build_config("tinybert", "tiny", vocab_size=100, hidden_size=64, intermediate_size=128)
    model = EncoderWithHead(AutoModel.from_config(config), make_head("mean", 64, 3))
    batch = C.dummy_batch(model, 2, 8)
    assert batch["input_ids"].shape == (2, 8) and int(batch["input_ids"].max()) < 100
    with torch.inference_mode():
        assert model(**batch).shape == (2, 3)
    row = C.measure_cost(model, batch_sizes=(1, 2), seq_len=8, repeats=1)
    assert row["params"] == sum(p.numel() for p in model.parameters())
    assert row["latency_b1_ms"] > 0 and row["latency_b2_ms"] > 0
    with pytest.raises(ValueError, match="vocabulary size"):
        C.dummy_batch(torch.nn.Linear(2, 2), 1, 4)
