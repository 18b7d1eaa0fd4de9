"""Chapter 05 exercise checks (issue #16 item 4): for every exercise the worked solution passes, ``None`` says "not
attempted", plausible wrong answers fail with a reason, and calling the course's own helper does not count. Also
(item 7): chapter 05's results table does not truncate model names."""
import json
import math
import re
from pathlib import Path

import pytest
import torch

from course_utils import heads as hd
from course_utils.checks import ch05

from check_helpers import assert_solution_passes_and_none_is_not_attempted

ROOT = Path(__file__).resolve().parents[1]


def _reason(capsys) -> str:
    out = capsys.readouterr().out
    assert "not yet" in out, out
    return out


# --- 5.1 ----------------------------------------------------------------------------------------------------------
def right_last_step(out, mask):  # the chapter's solution
    lengths = mask.long().sum(dim=1)
    return out[torch.arange(out.shape[0]), lengths - 1]


@pytest.mark.parametrize("wrong, reason", [
    (lambda out, mask: out[:, -1], r"output\[:, -1, :\]"),
    (lambda out, mask: out[torch.arange(out.shape[0]), mask.sum(1)], "one position too late"),
    (lambda out, mask: out[torch.arange(out.shape[0]), mask.sum(1) - 2], "not the output at their last real token"),
    (lambda out, mask: out.mean(1), "not the output at their last real token"),
])
def test_last_step_wrong_answers_fail_with_a_reason(capsys, wrong, reason):
    assert not ch05.check_last_step(wrong)
    assert re.search(reason, _reason(capsys))


def test_last_step_helper_shortcut_is_refused(capsys):
    assert not ch05.check_last_step(lambda out, mask: hd.last_real_step(out, mask))
    assert "last_real_step" in _reason(capsys)


# --- 5.2 ----------------------------------------------------------------------------------------------------------
def right_features(out, mask):  # the chapter's solution
    half = out.shape[-1] // 2
    last = mask.long().sum(dim=1) - 1
    return torch.cat([out[torch.arange(out.shape[0]), last, :half], out[:, 0, half:]], dim=-1)


def _padded_end_forward(out, mask):  # reads the padded end for the forward half
    h = out.shape[-1] // 2
    return torch.cat([out[:, -1, :h], out[:, 0, h:]], dim=-1)


@pytest.mark.parametrize("wrong, reason", [
    (_padded_end_forward, "forward half"),
    (lambda out, mask: right_last_step(out, mask), "backward half"),  # the backward half at the last step
    (lambda out, mask: out[:, 0], "forward half"),
])
def test_bilstm_features_wrong_answers_fail_with_a_reason(capsys, wrong, reason):
    assert not ch05.check_bilstm_features(wrong)
    assert reason in _reason(capsys)


def test_bilstm_features_helper_shortcut_is_refused(capsys):
    def with_helper(out, mask):
        half = out.shape[-1] // 2
        return torch.cat([hd.last_real_step(out, mask)[:, :half], out[:, 0, half:]], dim=-1)

    assert not ch05.check_bilstm_features(with_helper)
    assert "last_real_step" in _reason(capsys)


# --- 5.3 ----------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tokenizer():
    import os

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from course_utils import load_tokenizer

    try:
        return load_tokenizer("encoder")
    except Exception as exc:  # pragma: no cover - no encoder installed
        pytest.skip(f"no tokenizer available: {exc}")


def right_n_chunks(n, L, o):  # the chapter's solution
    content = L - 2
    return 1 + max(0, math.ceil((n - content) / (content - o)))


def test_n_chunks_solution_passes(capsys, tokenizer):
    assert ch05.check_n_chunks(right_n_chunks, tokenizer=tokenizer)
    assert "correct" in capsys.readouterr().out


def test_n_chunks_not_attempted(capsys, tokenizer):
    assert not ch05.check_n_chunks(None, tokenizer=tokenizer)
    assert "not attempted" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, reason", [
    (lambda n, L, o: math.ceil(n / (L - 2)), "the tokenizer makes"),  # ignores the overlap
    (lambda n, L, o: 1 + max(0, math.ceil((n - L) / (L - o))), r"\[CLS\] and \[SEP\]"),  # ignores the special tokens
    (lambda n, L, o: 1 + max(0, (n - (L - 2)) // (L - 2 - o)), "the tokenizer makes"),  # rounds down
])
def test_n_chunks_wrong_answers_fail_with_a_reason(capsys, tokenizer, wrong, reason):
    assert not ch05.check_n_chunks(wrong, tokenizer=tokenizer)
    assert re.search(reason, _reason(capsys))


def test_n_chunks_shortcuts_are_refused(capsys, tokenizer):
    def ask_the_tokenizer(n, L, o):  # right number, no reasoning
        enc = tokenizer(" ".join(["good"] * n), truncation=True, max_length=L, stride=o, return_overflowing_tokens=True)
        return len(enc["input_ids"])

    assert not ch05.check_n_chunks(ask_the_tokenizer, tokenizer=tokenizer)
    assert "calls" in _reason(capsys)

    def ask_chunk_documents(n, L, o):
        from course_utils import long_docs

        return int(long_docs.chunk_documents(tokenizer, [" ".join(["good"] * n)], L, o, max_chunks=100).n_chunks[0])

    assert not ch05.check_n_chunks(ask_chunk_documents, tokenizer=tokenizer)
    assert "chunk_documents" in _reason(capsys) or "calls" in _reason(capsys)


def test_n_chunks_misuse_is_an_error_not_a_wrong_answer():
    with pytest.raises(TypeError, match="tokenizer is missing"):
        ch05.check_n_chunks(right_n_chunks)


def test_hints_do_not_give_the_answer():
    """Issue #16: a hint points the way; it is not the formula or the one-line answer."""
    source = Path(ch05.__file__).read_text(encoding="utf-8")
    for giveaway in ("mask[i].sum() - 1", "torch.arange(batch) and lengths - 1", "(chunk_len - 2 - overlap) pieces",
                     "out[:, 0, hidden:]"):
        assert giveaway not in source, giveaway


# --- 5.4: experiment and interpretation ------------------------------------------------------------------------
@pytest.fixture
def store(tmp_path, monkeypatch):
    path = tmp_path / "results.csv"
    monkeypatch.setenv("COURSE_RESULTS", str(path))
    monkeypatch.setenv("COURSE_PROFILE", "smoke")
    return path


def _record(model, accuracy, std=None):
    import course_utils as cu

    metrics = {"accuracy": accuracy} if std is None else {"accuracy": accuracy, "accuracy_std": std}
    cu.record_metrics(metrics, names=list(metrics), chapter="05", experiment=ch05.LR_EXPERIMENT, model=model,
                      dataset="sst2", split="validation", n_train=128)


def _run_experiment():
    """The solution's experiment on tiny random cached states: the mean head at two learning rates, 3 seeds."""
    import numpy as np

    from course_utils import features as ft

    g = torch.Generator().manual_seed(0)
    y = torch.randint(0, 2, (96,), generator=g)
    states = torch.randn(96, 6, 8, generator=g) + y[:, None, None].float()  # the label shifts every state
    cache = ft.TokenCache(states, torch.ones(96, 6, dtype=torch.bool))
    train, dev = ft.TokenCache(cache.states[:64], cache.mask[:64]), ft.TokenCache(cache.states[64:], cache.mask[64:])
    for lr in (1e-3, 1e-2):
        accuracies = []
        for seed in range(3):
            torch.manual_seed(seed)
            run = ft.train_head(hd.make_head("mean", 8, 2), train, y[:64].tolist(), dev, y[64:].tolist(), epochs=2,
                                batch_size=16, learning_rate=lr, seed=seed, progress=False)
            accuracies.append(run.metrics["accuracy"])
        _record(f"mean head, lr {lr:g}", float(np.mean(accuracies)), float(np.std(accuracies, ddof=1)))


def _truth():
    import course_utils as cu

    rows = cu.load_results("smoke")
    table = rows[rows["experiment"] == ch05.LR_EXPERIMENT].pivot_table(index="model", columns="metric", values="value")
    gap = table["accuracy"].max() - table["accuracy"].min()
    return table["accuracy"].idxmax(), table["accuracy"].idxmin(), bool(gap >= 2 * table["accuracy_std"].max())


@pytest.fixture
def recorded(store):
    _run_experiment()
    return _truth()


def test_head_lr_solution_passes(capsys, recorded):
    better, _, beyond = recorded
    assert ch05.check_head_lr_experiment({"better": better, "beyond_noise": beyond})
    assert "correct" in capsys.readouterr().out


def test_head_lr_not_attempted(capsys, store):
    assert not ch05.check_head_lr_experiment(None)
    assert "not attempted" in capsys.readouterr().out


def test_head_lr_wrong_answers_fail_with_a_reason(capsys, recorded):
    better, worse, beyond = recorded
    assert not ch05.check_head_lr_experiment({"better": worse, "beyond_noise": beyond})
    assert "is not the better setting" in _reason(capsys)
    assert not ch05.check_head_lr_experiment({"better": better, "beyond_noise": not beyond})
    assert "twice the larger seed std" in _reason(capsys)
    assert not ch05.check_head_lr_experiment({"better": "lr 0.01", "beyond_noise": beyond})
    assert "one of the recorded settings" in _reason(capsys)
    assert not ch05.check_head_lr_experiment({"better": better})
    assert "has no" in _reason(capsys)


@pytest.mark.parametrize("rows, beyond", [
    ([("a", 0.80, 0.01), ("b", 0.70, 0.02)], True),   # gap 0.10 >= 2 * 0.02
    ([("a", 0.80, 0.01), ("b", 0.78, 0.02)], False),  # gap 0.02 < 2 * 0.02
])
def test_head_lr_noise_verdict_follows_the_chapters_rule(capsys, store, rows, beyond):
    for model, acc, std in rows:
        _record(model, acc, std)
    assert ch05.check_head_lr_experiment({"better": "a", "beyond_noise": beyond})
    assert not ch05.check_head_lr_experiment({"better": "a", "beyond_noise": not beyond})


def test_head_lr_needs_the_recorded_rows_and_their_spread(capsys, store):
    assert not ch05.check_head_lr_experiment({"better": "a", "beyond_noise": True})
    assert "run the experiment first" in _reason(capsys)
    _record("a", 0.8)
    _record("b", 0.7)  # one seed each: no std recorded
    assert not ch05.check_head_lr_experiment({"better": "a", "beyond_noise": True})
    assert "accuracy_std" in _reason(capsys)


# --- item 7: readable outputs ----------------------------------------------------------------------------------
def test_chapter_05_results_table_does_not_truncate_model_names():
    nb = json.loads((ROOT / "chapters" / "05_bert_lstm_hybrid.ipynb").read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if c["cell_type"] == "code" and "cu.leaderboard(" in "".join(c["source"]))
    for out in cell.get("outputs", []):
        for kind in ("text/plain", "text/html"):
            text = "".join(out.get("data", {}).get(kind, ""))
            assert "..." not in text and "…" not in text, f"truncated names in the results table ({kind})"


@pytest.mark.parametrize("check, solution", [
    (ch05.check_last_step, right_last_step),
    (ch05.check_bilstm_features, right_features),
])
def test_solution_passes_and_none_is_not_attempted(check, solution, capsys):
    assert_solution_passes_and_none_is_not_attempted(check, solution, capsys)
