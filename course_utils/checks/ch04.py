"""Checks for chapter 04 (fine-tuning BERT three ways)."""
from __future__ import annotations

import numpy as np

import numbers

from ..exercises import as_number, call_without, exercise, require, require_usage


def _reference_waste(lengths, batch_size: int) -> float:
    lengths = [int(x) for x in lengths]
    padded = 0
    for i in range(0, len(lengths), batch_size):
        chunk = lengths[i:i + batch_size]
        padded += max(chunk) * len(chunk)
    return (padded - sum(lengths)) / padded


@exercise("4.1", "padding waste")
def check_padding_waste(answer) -> str:
    """``answer``: a function ``padding_waste(lengths, batch_size) -> float``."""
    require(callable(answer), "expected a function padding_waste(lengths, batch_size)")
    what = "padding_waste(lengths, batch_size)"
    require(abs(as_number(answer([5, 5, 5, 5], 2), what)) < 1e-9, "equal lengths need no padding: expected 0.0")
    got = as_number(answer([2, 4], 2), what)
    require(abs(got - 0.25) < 1e-9, f"[2, 4] in one batch: 8 positions, 2 of them padding -> 0.25; got {got:.4f}",
            hint="divide the padding by ALL positions computed (real + padding), not by the real tokens")
    got = as_number(answer([2, 4, 3], 2), what)
    require(abs(got - 2 / 11) < 1e-9, f"[2, 4, 3] with batch_size 2: expected {2 / 11:.4f}, got {got:.4f}",
            hint="the last batch may be smaller than batch_size, and is padded to its own longest row")
    rng = np.random.default_rng(0)
    for bs in (1, 3, 8):
        lengths = rng.integers(3, 60, size=37).tolist()
        ref, got = _reference_waste(lengths, bs), as_number(answer(list(lengths), bs), what)
        require(abs(got - ref) < 1e-9, f"batch_size {bs}: expected {ref:.4f}, got {got:.4f}")
    return "sorting rows by length before batching is what makes this number small."


@exercise("4.2", "linear warmup schedule")
def check_warmup_lr(answer) -> str:
    """``answer``: a function ``lr_at(step, total_steps, warmup_steps, base_lr) -> float``."""
    import torch
    import transformers.optimization as opt_lib
    from transformers import get_linear_schedule_with_warmup

    require(callable(answer), "expected a function lr_at(step, total_steps, warmup_steps, base_lr)")
    library = [f for f in (get_linear_schedule_with_warmup,
                           getattr(opt_lib, "_get_linear_schedule_with_warmup_lr_lambda", None)) if f is not None]
    for total, warmup, base in ((20, 4, 1e-3), (10, 0, 5e-5), (17, 5, 2e-5)):
        opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=base)
        sched = get_linear_schedule_with_warmup(opt, warmup, total)
        for step in range(total + 1):
            ref = opt.param_groups[0]["lr"]
            got = as_number(call_without(answer, library, step, total, warmup, base, what="lr_at(...)"),
                            "lr_at(step, total_steps, warmup_steps, base_lr)")
            phase = "warmup" if step < warmup else "decay"
            require(abs(got - ref) <= 1e-12 + 1e-9 * base,
                    f"step {step} of {total} (warmup {warmup}, base {base:g}, {phase}): expected {ref:.4g}, "
                    f"got {got:.4g}",
                    hint="two straight lines: from 0 up to base_lr at the end of the warmup, then down to 0 at "
                         "total_steps; check both ends of each line (and warmup_steps = 0)")
            opt.step()
            sched.step()
    return "it matches get_linear_schedule_with_warmup step by step."


@exercise("4.3", "param groups: smaller lr for the encoder")
def check_param_groups(answer, lr: float = 1e-4) -> str:
    """``answer``: a function ``f(model, lr)`` returning optimizer param groups (head at ``lr``, the rest ``lr/10``)."""
    from torch import nn

    require_usage(isinstance(lr, numbers.Real) and not isinstance(lr, bool) and 0 < lr < 1,
                  f"lr must be a learning rate between 0 and 1 (e.g. 1e-4), got {lr!r}; "
                  "call it as check_param_groups(answer, lr=1e-4)")
    require(callable(answer), "expected a function param_groups(model, lr)")

    class Tiny(nn.Module):  # a stand-in with the same names as a Hugging Face classifier
        def __init__(self):
            super().__init__()
            self.bert = nn.Sequential(nn.Embedding(10, 4), nn.Linear(4, 4), nn.LayerNorm(4))
            self.classifier = nn.Linear(4, 2)

    from .. import heads, optim

    model = Tiny()
    model.bert[0].weight.requires_grad_(False)  # a frozen parameter must not appear
    groups = call_without(answer, [heads.param_groups, optim.weight_decay_groups], model, lr,
                          what="param_groups(model, lr)")
    require(isinstance(groups, (list, tuple)) and all(isinstance(g, dict) and "params" in g for g in groups),
            "expected a list of dicts, each with a 'params' list (and an 'lr')")
    groups = [{**g, "params": list(g["params"])} for g in groups]  # a generator can be read only once
    ids = [id(p) for g in groups for p in g["params"]]
    trainable = {id(p): n for n, p in model.named_parameters() if p.requires_grad}
    require(len(ids) == len(set(ids)), "a parameter appears in more than one group")
    require(set(ids) == set(trainable), "every trainable parameter (and no frozen one) must be in exactly one group",
            hint="iterate model.named_parameters() and skip p.requires_grad == False")
    lr_of = {i: g.get("lr", None) for g in groups for i in map(id, g["params"])}
    for i, name in trainable.items():
        want = lr if name.startswith("classifier") else lr / 10
        got = lr_of[i]
        require(got is not None and abs(got - want) < 1e-12, f"{name}: lr {got}, expected {want:g}")
    return "pass it as fine_tune(..., param_groups=lambda m: f(m, lr))."


VERDICTS = ("better", "worse", "noise")


@exercise("4.4", "is your change beyond noise?")
def check_my_change(answer, n_eval: int, results=None) -> str:
    """``answer``: ``"better"``, ``"worse"`` or ``"noise"``: how your recorded ``my_best_sst2`` run compares with the
    headline run ``fine_tune_helper`` on SST-2 validation (one run each; noise = 2 binomial standard errors of the
    headline accuracy on ``n_eval`` sentences). ``results``: the results table (default: ``cu.load_results()`` of the
    active profile)."""
    from ..evaluation import binomial_se
    from ..results import load_results

    require_usage(isinstance(n_eval, numbers.Integral) and not isinstance(n_eval, bool) and n_eval > 0,
                  f"n_eval must be the number of validation sentences (e.g. len(val)), got {n_eval!r}")
    require(isinstance(answer, str) and answer.strip().lower() in VERDICTS,
            f"expected one of {VERDICTS}, got {answer!r}")
    if results is None:
        from ..profiles import get_profile

        results = load_results(get_profile())
    rows = results[(results["dataset"] == "sst2") & (results["split"] == "validation")
                   & (results["metric"] == "accuracy") & (results["source"] == "measured")]
    value = {e: rows.loc[rows["experiment"] == e, "value"] for e in ("my_best_sst2", "fine_tune_helper")}
    require(len(value["fine_tune_helper"]) > 0, "no headline run (fine_tune_helper) is recorded",
            hint="run section 4 of this chapter first")
    require(len(value["my_best_sst2"]) > 0, "no run of yours (my_best_sst2) is recorded",
            hint="set MY_CHANGE and run the exercise cell first")
    mine, headline = float(value["my_best_sst2"].iloc[-1]), float(value["fine_tune_helper"].iloc[-1])
    noise = 2 * binomial_se(headline, int(n_eval))
    diff = mine - headline
    truth = "noise" if abs(diff) <= noise else ("better" if diff > 0 else "worse")
    require(answer.strip().lower() == truth,
            f"your run differs from the headline by {diff:+.2%}; is that larger than the noise?",
            hint="compare the size of the difference with the noise the cell printed, then its sign")
    return f"{diff:+.2%} against a noise of ±{noise:.2%}: {truth}."
