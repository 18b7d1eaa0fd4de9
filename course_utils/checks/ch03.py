"""Checks for chapter 03 (BERT theory): the padding mask, parameter counts, the causal mask, and an experiment with
the padding mask (does [CLS] move when a sentence is padded?)."""
from __future__ import annotations

import math

import numpy as np

from ..exercises import as_number, as_tensor, call_without, exercise, require, watch_calls


@exercise("3.1", "the additive padding mask")
def check_additive_mask(answer) -> str:
    """``answer``: a function ``(attention_mask (batch, seq_len) of 0/1) -> tensor`` to ADD to scores of shape
    (batch, heads, seq_len, seq_len) before the softmax. Calling ``bert_scratch.additive_mask`` (the chapter's own
    version) does not count."""
    import torch

    from ..bert_scratch import additive_mask

    require(callable(answer), "expected a function make_mask(attention_mask)")
    gen = torch.Generator().manual_seed(0)
    attention_mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [1, 0, 0, 0, 0]])
    scores = torch.randn(3, 2, 5, 5, generator=gen) * 3  # (batch, heads, seq, seq)
    got = call_without(answer, [additive_mask], attention_mask.clone(), what="make_mask(attention_mask)")
    mask = as_tensor(got, "make_mask(attention_mask)").to(scores.dtype)
    broadcast = ("the scores are (batch, heads, queries, keys) and the mask depends only on the batch row and the "
                 "KEY: give it size-1 dimensions where it must broadcast")
    try:
        weights = (scores + mask).softmax(-1)
    except RuntimeError:
        weights = None
    require(weights is not None, f"a mask of shape {tuple(mask.shape)} cannot be added to scores (3, 2, 5, 5)",
            hint=broadcast)
    require(tuple(weights.shape) == (3, 2, 5, 5),
            f"scores + mask has shape {tuple(weights.shape)}, expected (3, 2, 5, 5)", hint=broadcast)
    require(not torch.isnan(weights).any(), "the softmax gave NaN",
            hint="0 * -inf is NaN, and so is a row of nothing but -inf: use a large negative FINITE number")
    pad = (attention_mask == 0)[:, None, None, :].expand_as(weights)
    if not bool((weights[pad] < 1e-6).all()):
        padded_rows = (attention_mask == 0).any(1)  # rows 1 and 2: they have padding
        real_weights = weights[padded_rows][~pad[padded_rows]]
        require(not bool((real_weights < 1e-6).all()), "the REAL tokens get no attention and the padding gets all of "
                "it: the mask is the wrong way round", hint="attention_mask is 1 on real tokens and 0 on padding")
        require(False, "padding keys still get attention weight",
                hint="what you add must be 0 on real tokens and so negative on padding that exp() of it is 0")
    ref = scores.masked_fill(pad, float("-inf")).softmax(-1)
    require(torch.allclose(weights, ref, atol=1e-5), "real tokens' weights differ from a correctly masked softmax",
            hint="real tokens must get exactly 0 added, so their scores keep their relative sizes")
    return "padding keys get zero weight and every row still sums to 1."


def _reference_params(cfg) -> int:
    from ..bert_scratch import parameter_counts

    return parameter_counts(cfg, pooler=True)["total"]


@exercise("3.2", "count BERT's parameters")
def check_param_count(answer) -> str:
    """``answer``: a function ``count(config) -> int`` of a config with vocab_size, hidden_size,
    num_hidden_layers, intermediate_size, max_position_embeddings, type_vocab_size (pooler included).

    The count must come from the config by formula: an answer that calls ``bert_scratch.parameter_counts`` (the
    chapter's formula) or builds a model to count its tensors (``nn.Module``, ``count_parameters``) is refused. Why:
    the exercise is the breakdown of section 4 (which block holds how many weights); counting a built model
    answers "how many" without it (and building BERT-large for real would take 1.3 GB of memory)."""
    import torch

    from ..bert_scratch import BertConfigLite, parameter_counts
    from ..models import count_parameters

    require(callable(answer), "expected a function count(config)")
    configs = {
        "BERT-base": BertConfigLite(),
        "BERT-large": BertConfigLite(hidden_size=1024, num_hidden_layers=24, num_attention_heads=16, intermediate_size=4096),
        "MiniLM-L6": BertConfigLite(hidden_size=384, num_hidden_layers=6, intermediate_size=1536),
        "tiny": BertConfigLite(vocab_size=100, hidden_size=8, num_hidden_layers=2, num_attention_heads=2,
                               intermediate_size=16, max_position_embeddings=10),
    }
    for name, cfg in configs.items():
        with watch_calls([parameter_counts, count_parameters, torch.nn.Module.__init__]) as hits:
            got = answer(cfg)
        require(parameter_counts.__qualname__ not in hits, "count(config) calls parameter_counts, the chapter's "
                "own formula: the exercise is to write it", hint="add up the blocks yourself from the config's numbers")
        require(not hits, f"count(config) builds a model (it called {', '.join(hits)}) and counts its tensors: this "
                "exercise asks for the count from the config alone, by formula",
                hint="section 4 lists the blocks: the embedding tables, L identical layers, the pooler; count the "
                     "weights and biases of each")
        ref = _reference_params(cfg)
        require(isinstance(got, (int, np.integer)) and not isinstance(got, bool),
                f"count({name}) returned {type(got).__name__}, expected an integer", hint="return int(total)")
        h, i, n = cfg.hidden_size, cfg.intermediate_size, cfg.num_hidden_layers
        diff = int(got) - ref
        per_layer = 4 * (h * h + h) + (h * i + i) + (i * h + h) + 4 * h
        require(diff != -(h * h + h), f"{name}: {int(got):,} is exactly the pooler short",
                hint="BertModel ends with a pooler: one dense layer on the [CLS] vector (a weight matrix and a bias)")
        require(diff != -(n - 1) * per_layer, f"{name}: {int(got):,} is exactly {n - 1} layers short",
                hint="every one of the num_hidden_layers layers has its own weights")
        require(diff != -(n * (4 * h + i + h + 4 * h) + 2 * h + h), f"{name}: {int(got):,} counts no bias and no "
                "LayerNorm", hint="every Linear has a bias vector, every LayerNorm a weight and a bias")
        require(diff != -(n * (4 * h + i + h) + h), f"{name}: {int(got):,} is exactly the bias vectors short",
                hint="every Linear has a bias vector as long as its output")
        if diff and diff % (2 * h) == 0 and 0 < abs(diff) // (2 * h) <= 2 * n + 1:
            require(False, f"{name}: {int(got):,} differs by {diff:+,}, a multiple of one LayerNorm (2 * hidden)",
                    hint="count the LayerNorms: one after the embeddings, and how many in each layer?")
        require(diff == 0, f"{name}: {int(got):,} parameters, expected {ref:,} (off by {diff:+,})",
                hint="count each block's weight matrices AND bias vectors: the three embedding tables and their "
                     "LayerNorm, per layer Q, K, V, the attention output, the two feed-forward Linears and two "
                     "LayerNorms, then the pooler")
    return "right for BERT-base, BERT-large, MiniLM and a tiny config."


@exercise("3.3", "the causal (GPT) mask")
def check_causal_mask(answer) -> str:
    """``answer``: a function ``causal(seq_len) -> bool tensor (seq_len, seq_len)``, True where query i may see key j.
    Calling ``bert_scratch.causal_mask`` (the chapter's own version) does not count."""
    import torch

    from ..bert_scratch import causal_mask

    require(callable(answer), "expected a function causal(seq_len)")
    for n in (1, 4, 7):
        got = as_tensor(call_without(answer, [causal_mask], n, what=f"causal({n})"), f"causal({n})")
        require(tuple(got.shape) == (n, n), f"causal({n}) has shape {tuple(got.shape)}, expected ({n}, {n})")
        got = got.bool()
        ref = torch.tril(torch.ones(n, n, dtype=torch.bool))
        require(not (n > 1 and torch.equal(got, ref.T)), "your mask is transposed: token 0 sees the whole future",
                hint="rows are queries: query i may look at keys 0..i")
        require(not torch.equal(got, torch.tril(torch.ones(n, n, dtype=torch.bool), -1)),
                "each token must also see itself (the diagonal)")
        require(torch.equal(got, ref), f"causal({n}) is not the causal mask: {got.int().tolist()}",
                hint="row i (a query) is True for columns 0..i and False after: which triangle of the matrix is that?")
    return "query i sees keys 0..i and nothing later."


# --- 3.4: an experiment, recorded in the results store, and a question about it -----------------------------------
PADDING_EXPERIMENT = "exercise_3.4_padding"
PADDING_METRIC = "cls_l2_change"
WITH_MASK, WITHOUT_MASK = "with mask", "without mask"


def _padding_rows():
    """The recorded rows of exercise 3.4 (this chapter, the active profile)."""
    from ..profiles import profile_name
    from ..results import load_results

    rows = load_results(profile_name())
    keep = (rows["chapter"] == "03") & (rows["experiment"] == PADDING_EXPERIMENT) & (rows["metric"] == PADDING_METRIC)
    return rows[keep]


def _shown(rows) -> str:
    return ", ".join(f"{r.split} {r.value:.3g}" for r in rows.itertuples()) or "none"


@exercise("3.4", "does padding move [CLS]? (experiment)")
def check_padding_experiment(answer) -> str:
    """``answer``: ``{"changes_with_mask": bool, "largest_change_without_mask": float}`` about the rows recorded with
    ``record_result(chapter="03", experiment="exercise_3.4_padding", model="with mask" | "without mask",
    split="+N pad", metric="cls_l2_change", ...)``: the L2 distance between the final [CLS] vector of a sentence
    padded with N [PAD] tokens and that of the same sentence alone."""
    require(isinstance(answer, dict), f"expected a dict, got {type(answer).__name__}",
            hint='{"changes_with_mask": True or False, "largest_change_without_mask": a number}')
    missing = [k for k in ("changes_with_mask", "largest_change_without_mask") if k not in answer]
    require(not missing, f"your answer has no {missing}",
            hint='{"changes_with_mask": True or False, "largest_change_without_mask": a number}')
    rows = _padding_rows()
    with_mask, without = rows[rows["model"] == WITH_MASK], rows[rows["model"] == WITHOUT_MASK]
    require(len(with_mask) >= 2 and len(without) >= 2,
            f"the results store has {len(with_mask)} '{WITH_MASK}' and {len(without)} '{WITHOUT_MASK}' rows of "
            f"experiment {PADDING_EXPERIMENT!r} (metric {PADDING_METRIC!r}) in this profile: run the experiment first",
            hint="at least two padding lengths, each run with and without the mask, each recorded with "
                 "cu.record_result(...) as the exercise shows")
    require(float(with_mask["value"].max()) < 1e-3,
            f"your '{WITH_MASK}' rows move [CLS] by up to {with_mask['value'].max():.3g} ({_shown(with_mask)}): with "
            "the mask, padding cannot change it beyond float rounding, so the mask did not reach the encoder",
            hint="pass the padded batch's attention_mask (0 on [PAD]) to scratch(...), and compare [CLS] (position 0)")
    require(float(without["value"].max()) > 1e-2,
            f"your '{WITHOUT_MASK}' rows hardly move ({_shown(without)}): did the run really leave the mask out "
            "(attention_mask=None) on a padded input?",
            hint="pad the sentence with [PAD] ids, then run it with attention_mask=None")
    changes = answer["changes_with_mask"]
    require(isinstance(changes, (bool, np.bool_)),
            f"changes_with_mask must be True or False, got {type(changes).__name__} {changes!r}")
    require(not changes, f"your '{WITH_MASK}' rows are at most {with_mask['value'].max():.1e}: float rounding, not a "
            "change", hint="compare that with the size of the [CLS] vector itself, and with the rows without the mask")
    largest = as_number(answer["largest_change_without_mask"], "largest_change_without_mask")
    expected = float(without["value"].max())
    require(math.isclose(largest, expected, rel_tol=2e-3, abs_tol=1e-4),
            f"largest_change_without_mask is {largest:.4g}; your recorded '{WITHOUT_MASK}' rows are {_shown(without)}",
            hint="the largest of the recorded values without the mask (read them back with cu.load_results())")
    return (f"with the mask [CLS] stays put (at most {with_mask['value'].max():.1e}); without it, it moves by up to "
            f"{expected:.3g}, and more padding moves it further.") if _grows(without) else (
            f"with the mask [CLS] stays put (at most {with_mask['value'].max():.1e}); without it, it moves by up to "
            f"{expected:.3g}.")


def _grows(rows) -> bool:
    """Do the recorded changes grow with the number of [PAD] tokens (read from the split, "+N pad")?"""
    import re

    pads = [(int(m.group(1)), v) for s, v in zip(rows["split"], rows["value"]) if (m := re.search(r"(\d+)", str(s)))]
    pads.sort()
    return len(pads) >= 2 and all(b[1] >= a[1] for a, b in zip(pads, pads[1:]))
