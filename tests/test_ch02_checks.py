"""Chapter 02 exercise checks: the worked solution passes, ``None`` is "not attempted", plausible wrong answers fail
with their reason, and the course helper (or library call) that computes the answer is refused (issue #16 item 4)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from course_utils import embeddings as E
from course_utils import heads
from course_utils.checks import ch02

from check_helpers import assert_solution_passes_and_none_is_not_attempted


def _out(capsys) -> str:
    return capsys.readouterr().out


# --- 2.1 analogies -----------------------------------------------------------------------------------------------------

def analogy_solution(kv, a, b, c):  # the chapter's solution
    target = kv.get_vector(b, norm=True) - kv.get_vector(a, norm=True) + kv.get_vector(c, norm=True)
    sims = kv.get_normed_vectors() @ (target / np.linalg.norm(target))
    for i in np.argsort(-sims):
        if kv.index_to_key[i] not in (a, b, c):
            return kv.index_to_key[i]


def _unnormalised(kv, a, b, c):  # raw vectors and a dot product: length decides, not the angle
    sims = kv.vectors @ (kv[b] - kv[a] + kv[c])
    return next(kv.index_to_key[i] for i in np.argsort(-sims) if kv.index_to_key[i] not in (a, b, c))


def _keeps_inputs(kv, a, b, c):  # the nearest word, which is usually b or c itself
    target = kv.get_vector(b, norm=True) - kv.get_vector(a, norm=True) + kv.get_vector(c, norm=True)
    return kv.index_to_key[int(np.argmax(kv.get_normed_vectors() @ target))]


@pytest.mark.parametrize("wrong, reason", [
    (_unnormalised, "expected"),
    (_keeps_inputs, "returned an input word"),
    (lambda kv, a, b, c: [(analogy_solution(kv, a, b, c), 0.9)], "expected a word"),
    (lambda kv, a, b, c: "apple", "gave 'apple'"),
], ids=["unnormalised", "keeps-the-inputs", "pairs", "constant"])
def test_analogy_wrong_answers_say_why(wrong, reason, capsys):
    assert not ch02.check_analogy(wrong)
    out = _out(capsys)
    assert "not yet" in out and reason in out and "hint:" in out, out


@pytest.mark.parametrize("shortcut, name", [
    (lambda kv, a, b, c: kv.most_similar(positive=[b, c], negative=[a], topn=1)[0][0], "most_similar"),
    (lambda kv, a, b, c: kv.most_similar_cosmul(positive=[b, c], negative=[a], topn=1)[0][0], "most_similar_cosmul"),
    (lambda kv, a, b, c: next(w for w, _ in kv.similar_by_vector(kv[b] - kv[a] + kv[c], topn=6)
                              if w not in (a, b, c)), "similar_by_vector"),
], ids=["most_similar", "most_similar_cosmul", "similar_by_vector"])
def test_analogy_refuses_gensims_ranking(shortcut, name, capsys):
    assert not ch02.check_analogy(shortcut)
    out = _out(capsys)
    assert "not yet" in out and f"calls gensim's KeyedVectors.{name}" in out, out


# --- 2.2 masked mean pooling ---------------------------------------------------------------------------------------------

def mean_pool_solution(hidden, mask):  # the chapter's solution
    m = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * m).sum(dim=1) / m.sum(dim=1).clamp(min=1)


@pytest.mark.parametrize("wrong, reason", [
    (lambda h, m: h.mean(1), "you averaged over the padding too"),
    (lambda h, m: (h * m.unsqueeze(-1)).mean(1), "you still divide by seq_len"),
    (lambda h, m: (h * m.unsqueeze(-1)).sum(1), "did not divide"),
    (lambda h, m: h.mean(2), "expected shape (3, 4)"),
    (lambda h, m: (h * m.unsqueeze(-1).to(h.dtype)).sum(1) / m.sum(1).to(h.dtype).mean(), "values differ"),
    (lambda h, m: mean_pool_solution(h, m).tolist(), "should be a torch.Tensor"),
], ids=["plain-mean", "divides-by-seq-len", "sum-only", "wrong-dim", "one-count-for-all", "a-list"])
def test_masked_mean_wrong_answers_say_why(wrong, reason, capsys):
    assert not ch02.check_masked_mean(wrong)
    out = _out(capsys)
    assert "not yet" in out and reason in out, out


@pytest.mark.parametrize("shortcut", [
    lambda h, m: E.masked_mean(h, m),
    lambda h, m: heads.masked_mean(h, m),
    lambda h, m: heads.MeanPoolHead(h.shape[-1], 2).features(h, m),
], ids=["embeddings.masked_mean", "heads.masked_mean", "MeanPoolHead"])
def test_masked_mean_refuses_the_course_helper(shortcut, capsys):
    assert not ch02.check_masked_mean(shortcut)
    assert "calls masked_mean" in _out(capsys)


def test_masked_mean_refuses_a_notebook_copy_of_the_helper(capsys):
    import inspect

    namespace = {"torch": torch}
    exec(inspect.getsource(E.masked_mean), namespace)  # what a learner gets by pasting the helper into a cell
    assert not ch02.check_masked_mean(namespace["masked_mean"])
    assert "calls masked_mean" in _out(capsys)


# --- 2.3 the last real time step -------------------------------------------------------------------------------------------

def last_step_solution(outputs, lengths):  # the chapter's solution
    return outputs[torch.arange(outputs.shape[0]), lengths - 1]


def test_last_real_step_solution_passes(capsys):
    assert ch02.check_last_real_step(last_step_solution)
    assert "correct" in _out(capsys)
    assert ch02.check_last_real_step(lambda o, n: o.gather(1, (n - 1).view(-1, 1, 1).expand(-1, 1, o.shape[-1])).squeeze(1))


def test_last_real_step_not_attempted(capsys):
    assert not ch02.check_last_real_step(None)
    assert "not attempted" in _out(capsys)


@pytest.mark.parametrize("wrong, reason", [
    (lambda o, n: o[:, -1], "padding for short rows"),
    (lambda o, n: o[torch.arange(o.shape[0]), n.clamp(max=o.shape[1] - 1)], "off by one"),
    (lambda o, n: o[:, 0], "you took the first position"),
    (lambda o, n: o[:, -1:], "should have shape (4, 3)"),
    (lambda o, n: o[torch.arange(o.shape[0]), (n - 2).clamp(min=0)], "values differ"),
], ids=["last-position", "off-by-one", "first-position", "keeps-the-time-dim", "two-back"])
def test_last_real_step_wrong_answers_say_why(wrong, reason, capsys):
    assert not ch02.check_last_real_step(wrong)
    out = _out(capsys)
    assert "not yet" in out and reason in out, out


def test_last_real_step_refuses_the_course_helper(capsys):
    assert not ch02.check_last_real_step(lambda o, n: heads.last_real_step(o, E.lengths_to_mask(n, o.shape[1])))
    assert "calls last_real_step" in _out(capsys)


def test_hints_do_not_give_the_formula(capsys):
    """A hint points the way; it does not spell out the one-line answer."""
    ch02.check_last_real_step(lambda o, n: o[:, -1] * 0 + o[torch.arange(o.shape[0]), (n - 2).clamp(min=0)])
    ch02.check_masked_mean(lambda h, m: h.sum(1))
    out = _out(capsys)
    for formula in ("torch.arange(batch), lengths - 1", "lengths - 1]", "mask.sum(1, keepdim=True)"):
        assert formula not in out


# --- 2.4 frozen or trainable embeddings (experiment, read from the results store) --------------------------------------------

@pytest.fixture
def store(tmp_path, monkeypatch):
    """An empty results store for this test, in the smoke profile."""
    monkeypatch.setenv("COURSE_RESULTS", str(tmp_path / "results.csv"))
    monkeypatch.setenv("COURSE_PROFILE", "smoke")
    return tmp_path / "results.csv"


def _record(acc=None, n_train=(2000, 2000), names=("BiLSTM, {} word2vec embeddings",) * 2):
    import course_utils as cu

    acc = acc or {"frozen": 0.6548, "trainable": 0.7213}
    for (setting, value), n, name in zip(acc.items(), n_train, names):
        cu.record_result(chapter="02", experiment=ch02.FREEZE_EXPERIMENT, model=name.format(setting), dataset="sst2",
                         split="validation", metric="accuracy", value=value, n_train=n)


RIGHT = {"better": "trainable", "gain": 0.7213 - 0.6548}


def test_frozen_vs_trainable_solution_passes(store, capsys):
    _record()
    assert ch02.check_frozen_vs_trainable(RIGHT)
    assert "correct" in _out(capsys)
    _record({"frozen": 0.80, "trainable": 0.78})  # the rows decide, whichever setting wins
    assert ch02.check_frozen_vs_trainable({"better": "frozen", "gain": 0.02})


def test_frozen_vs_trainable_not_attempted(store, capsys):
    assert not ch02.check_frozen_vs_trainable(None)
    assert "not attempted" in _out(capsys)


@pytest.mark.parametrize("wrong, reason", [
    ({"better": "frozen", "gain": 0.0665}, "the other setting (trainable) had the higher"),
    ({"better": "trainable", "gain": 6.65}, "looks like percentage points"),
    ({"better": "trainable", "gain": 0.7213}, "does not match your recorded rows"),
    ({"better": "fine-tuned", "gain": 0.0665}, "should be 'frozen' or 'trainable'"),
    ({"better": "trainable"}, "has no ['gain']"),
    ("trainable", "expected a dict"),
], ids=["wrong-setting", "percentage-points", "an-accuracy-not-a-gain", "unknown-setting", "missing-key", "a-string"])
def test_frozen_vs_trainable_wrong_answers_say_why(store, wrong, reason, capsys):
    _record()
    assert not ch02.check_frozen_vs_trainable(wrong)
    out = _out(capsys)
    assert "not yet" in out and reason in out, out


def test_frozen_vs_trainable_needs_both_recorded_runs(store, capsys):
    assert not ch02.check_frozen_vs_trainable(RIGHT)  # the experiment was not run
    assert "no rows of experiment" in _out(capsys)
    _record({"trainable": 0.72}, n_train=(2000,))
    assert not ch02.check_frozen_vs_trainable(RIGHT)
    assert "no recorded row for the frozen setting" in _out(capsys)


def test_frozen_vs_trainable_needs_a_fair_comparison(store, capsys):
    _record(n_train=(2000, 6920))
    assert not ch02.check_frozen_vs_trainable(RIGHT)
    assert "different training sizes" in _out(capsys)


def test_frozen_vs_trainable_needs_readable_model_names(store, capsys):
    _record(names=("BiLSTM run {}", "BiLSTM (frozen and trainable)"))
    assert not ch02.check_frozen_vs_trainable(RIGHT)
    assert "should say either 'frozen' or 'trainable'" in _out(capsys)


@pytest.mark.parametrize("check, solution", [
    (ch02.check_analogy, analogy_solution),
    (ch02.check_masked_mean, mean_pool_solution),
])
def test_solution_passes_and_none_is_not_attempted(check, solution, capsys):
    assert_solution_passes_and_none_is_not_attempted(check, solution, capsys)
