"""Chapter 04's exercise checks: each accepts the worked solution, says "not attempted" for None, rejects a
plausible wrong answer with its reason, and rejects the library/course shortcut where one exists."""
from __future__ import annotations

import pandas as pd
import pytest

from course_utils.checks import ch04

from check_helpers import assert_solution_passes_and_none_is_not_attempted


def waste(lengths, batch_size):
    lengths = list(lengths)
    padded = sum(max(lengths[i:i + batch_size]) * len(lengths[i:i + batch_size])
                 for i in range(0, len(lengths), batch_size))
    return (padded - sum(lengths)) / padded


def lr_at(step, total, warmup, base):
    if step < warmup:
        return base * step / warmup
    return base * max(0.0, (total - step) / max(1, total - warmup))


def groups(model, lr):
    head = [p for n, p in model.named_parameters() if p.requires_grad and n.startswith("classifier")]
    rest = [p for n, p in model.named_parameters() if p.requires_grad and not n.startswith("classifier")]
    return [{"params": rest, "lr": lr / 10}, {"params": head, "lr": lr}]


@pytest.mark.parametrize("check, solution", [(ch04.check_padding_waste, waste), (ch04.check_warmup_lr, lr_at),
                                             (ch04.check_param_groups, groups)])
def test_solution_passes_and_none_is_not_attempted(check, solution, capsys):
    assert_solution_passes_and_none_is_not_attempted(check, solution, capsys)


def test_wrong_answers_fail_with_a_reason(capsys):
    assert not ch04.check_padding_waste(lambda lengths, bs: waste(lengths, bs) * sum(lengths) / (sum(lengths) + 1))
    assert not ch04.check_warmup_lr(lambda s, t, w, b: b * min(1.0, s / max(w, 1)))           # no decay
    out = capsys.readouterr().out
    assert "expected" in out and "hint" in out
    assert "base*step/warmup" not in out                        # a hint, not the formula


def test_library_schedule_is_rejected(capsys):
    import torch
    from transformers import get_linear_schedule_with_warmup

    def via_library(step, total, warmup, base):
        opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=base)
        sched = get_linear_schedule_with_warmup(opt, warmup, total)
        return sched.lr_lambdas[0](step) * base

    assert not ch04.check_warmup_lr(via_library)
    assert "get_linear_schedule_with_warmup" in capsys.readouterr().out


def test_course_param_group_helper_is_rejected(capsys):
    from course_utils.optim import weight_decay_groups

    def via_helper(model, lr):
        return (weight_decay_groups(model.bert, 0.0, lr=lr / 10) + weight_decay_groups(model.classifier, 0.0, lr=lr))

    assert not ch04.check_param_groups(via_helper)
    assert "weight_decay_groups" in capsys.readouterr().out


def store(mine: float, headline: float = 0.88) -> pd.DataFrame:
    rows = [("my_best_sst2", mine), ("fine_tune_helper", headline), ("fine_tune_helper", 0.5)]
    return pd.DataFrame([{"experiment": e, "dataset": "sst2", "split": s, "metric": "accuracy", "value": v,
                          "source": "measured"} for (e, v), s in zip(rows, ("validation", "validation", "test"))])


@pytest.mark.parametrize("mine, truth", [(0.90, "noise"), (0.93, "better"), (0.80, "worse")])
def test_my_change_verdict_from_the_recorded_rows(mine, truth, capsys):
    assert ch04.check_my_change(truth, n_eval=872, results=store(mine))
    wrong = next(v for v in ch04.VERDICTS if v != truth)
    assert not ch04.check_my_change(wrong, n_eval=872, results=store(mine))
    assert "differs from the headline" in capsys.readouterr().out


def test_my_change_needs_both_runs_and_says_so(capsys):
    assert not ch04.check_my_change(None, n_eval=872, results=store(0.9))
    assert "not attempted" in capsys.readouterr().out
    no_mine = store(0.9)
    no_mine = no_mine[no_mine["experiment"] != "my_best_sst2"]
    assert not ch04.check_my_change("noise", n_eval=872, results=no_mine)
    assert "MY_CHANGE" in capsys.readouterr().out
    assert not ch04.check_my_change("maybe", n_eval=872, results=store(0.9))
    with pytest.raises(TypeError, match="n_eval"):
        ch04.check_my_change("noise", n_eval=0, results=store(0.9))
