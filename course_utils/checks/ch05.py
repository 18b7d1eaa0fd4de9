"""Checks for chapter 05 (BERT + LSTM / attention heads done right, long documents, and an experiment with a head's
learning rate)."""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from ..exercises import as_number, as_tensor, call_without, exercise, require, require_usage, watch_calls


def _padded_batch(seed: int, lengths=(5, 2, 7, 1), dim: int = 4, extra: int = 2):
    g = torch.Generator().manual_seed(seed)
    seq_len = max(lengths) + extra
    x = torch.randn(len(lengths), seq_len, dim, generator=g)
    mask = torch.arange(seq_len)[None, :] < torch.tensor(lengths)[:, None]
    return x, mask


@exercise("5.1", "read the true last step")
def check_last_step(answer) -> str:
    """``answer``: ``last_step(outputs, mask)`` -> (batch, dim), each row's output at its last real token.
    Calling ``heads.last_real_step`` (the chapter's own version) does not count."""
    from ..heads import last_real_step

    require(callable(answer), "expected a function last_step(outputs, mask)")
    for seed in range(3):
        out, mask = _padded_batch(seed)
        ref = out[torch.arange(out.shape[0]), mask.sum(1) - 1]
        got = call_without(answer, [last_real_step], out, mask, what="last_step(outputs, mask)")
        got = as_tensor(got, "last_step(outputs, mask)", shape=tuple(ref.shape), like=ref)
        require(not torch.allclose(got, out[:, -1]) or torch.allclose(ref, out[:, -1]),
                "that is output[:, -1, :]: on padded rows it reads a padding position",
                hint="a row's last real token sits where its mask ends, not at the end of the tensor")
        after = out[torch.arange(out.shape[0]), mask.sum(1).clamp(max=out.shape[1] - 1)]
        require(not torch.allclose(got, after), "each row is read one position too late (the first padding "
                "position)", hint="positions count from 0: a row of length n ends at position n - 1")
        require(torch.allclose(got, ref), "some rows are not the output at their last real token",
                hint="one position per row: the row's length comes from its mask; pick it with advanced indexing "
                     "(a row index and a position index) or torch.gather")
    return "it picks position length-1 of every row, whatever the padding."


@exercise("5.2", "BiLSTM features from the padded outputs")
def check_bilstm_features(answer) -> str:
    """``answer``: ``bilstm_features(out, mask)``: from the padded outputs (batch, seq_len, 2*hidden) of a packed
    1-layer BiLSTM, rebuild ``torch.cat([h_n[0], h_n[1]], -1)`` (batch, 2*hidden). Calling the chapter's
    ``heads.last_real_step`` or ``BiLSTMHead`` does not count."""
    from ..heads import BiLSTMHead, last_real_step

    require(callable(answer), "expected a function bilstm_features(out, mask)")
    torch.manual_seed(0)
    lstm = nn.LSTM(4, 3, batch_first=True, bidirectional=True)
    for seed in range(3):
        x, mask = _padded_batch(seed)
        packed = pack_padded_sequence(x, mask.sum(1), batch_first=True, enforce_sorted=False)
        with torch.no_grad():
            out, (h_n, _) = lstm(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
        ref = torch.cat([h_n[0], h_n[1]], dim=-1)
        got = call_without(answer, [last_real_step, BiLSTMHead.features, BiLSTMHead.run_lstm], out, mask,
                           what="bilstm_features(out, mask)")
        got = as_tensor(got, "bilstm_features(out, mask)", shape=tuple(ref.shape), like=ref)
        require(torch.allclose(got[:, :3], ref[:, :3], atol=1e-6), "the forward half is not h_n[0]",
                hint="the forward direction (out[..., :hidden]) reads left to right: where does it stop on a padded "
                     "row?")
        require(torch.allclose(got[:, 3:], ref[:, 3:], atol=1e-6), "the backward half is not h_n[1]",
                hint="the backward direction (out[..., hidden:]) reads right to left: which position does it read "
                     "LAST?")
    return "forward half at the last real step, backward half at position 0: exactly h_n."


def _tokenizer_calls(tokenizer) -> list:
    """The tokenizer's Python entry points (an answer that calls one lets the tokenizer count for it)."""
    cls = type(tokenizer)
    return [f for f in (getattr(cls, n, None) for n in ("__call__", "encode", "_encode_plus")) if callable(f)]


@exercise("5.3", "how many chunks?")
def check_n_chunks(answer, tokenizer=None) -> str:
    """``answer``: ``n_chunks(n_tokens, chunk_len, overlap)``: how many windows the fast tokenizer makes of a text
    of ``n_tokens`` word pieces with ``max_length=chunk_len, stride=overlap, return_overflowing_tokens=True``.
    Computed from the three numbers: an answer that runs the tokenizer or ``long_docs.chunk_documents`` is refused."""
    from ..long_docs import chunk_documents

    usage = "call it as check_n_chunks(n_chunks, tokenizer=tokenizer) with tokenizer = load_tokenizer('encoder')"
    require_usage(tokenizer is not None, f"the tokenizer is missing; {usage}")
    require_usage(callable(tokenizer) and getattr(tokenizer, "is_fast", False),
                  f"tokenizer must be a fast Hugging Face tokenizer (its windowing is what is checked), got "
                  f"{type(tokenizer).__name__}; {usage}")
    require(callable(answer), "expected a function n_chunks(n_tokens, chunk_len, overlap)")
    cases = [(10, 16, 4), (14, 16, 4), (15, 16, 4), (30, 16, 4), (100, 32, 8), (300, 128, 32), (1, 8, 2)]
    for n_tokens, chunk_len, overlap in cases:
        text = " ".join(["good"] * n_tokens)
        enc = tokenizer(text, truncation=True, max_length=chunk_len, stride=overlap, return_overflowing_tokens=True)
        expected = len(enc["input_ids"])
        with watch_calls([chunk_documents, *_tokenizer_calls(tokenizer)]) as hits:
            got = answer(n_tokens, chunk_len, overlap)
        require(not hits, f"n_chunks(...) calls {', '.join(hits)}: it lets the tokenizer count the windows, and the "
                "exercise is to predict that count from the three numbers",
                hint="work it out on paper for a short text first: how many word pieces fit in one window, and how "
                     "far does the next window start?")
        got = as_number(got, "n_chunks(n_tokens, chunk_len, overlap)")
        no_specials = 1 + max(0, math.ceil((n_tokens - chunk_len) / (chunk_len - overlap)))
        require(got == expected or got != no_specials,
                f"n_chunks({n_tokens}, {chunk_len}, {overlap}) = {got:g}, the tokenizer makes {expected}: your count "
                "fills every window with chunk_len word pieces", hint="[CLS] and [SEP] take room in every window")
        require(got == expected,
                f"n_chunks({n_tokens}, {chunk_len}, {overlap}) = {got:g}, the tokenizer makes {expected}",
                hint="count the word pieces one window has room for (the special tokens take some), how far each "
                     "new window moves on (the overlap is read twice), and how many moves the rest of the text needs")
    return "it matches the tokenizer's windowing, special tokens and overlap included."


# --- 5.4: an experiment, recorded in the results store, and a question about it -----------------------------------
LR_EXPERIMENT = "exercise_5.4_head_lr"


def _lr_rows():
    """{model: {metric: value}} of the recorded rows of exercise 5.4 (this chapter, the active profile)."""
    from ..profiles import profile_name
    from ..results import load_results

    rows = load_results(profile_name())
    rows = rows[(rows["chapter"] == "05") & (rows["experiment"] == LR_EXPERIMENT)]
    table: dict[str, dict[str, float]] = {}
    for r in rows.itertuples():
        table.setdefault(r.model, {})[r.metric] = float(r.value)
    return table


def _shown(table) -> str:
    return "; ".join(f"{m!r}: {v.get('accuracy', float('nan')):.4f} ± {v.get('accuracy_std', float('nan')):.4f}"
                     for m, v in table.items()) or "none"


@exercise("5.4", "a head's learning rate (experiment)")
def check_head_lr_experiment(answer) -> str:
    """``answer``: ``{"better": <model name as recorded>, "beyond_noise": bool}`` about the rows recorded with
    ``record_metrics(..., names=["accuracy", "accuracy_std"], chapter="05", experiment="exercise_5.4_head_lr",
    model=<one name per setting>, ...)``: which setting has the higher mean dev accuracy, and is the gap larger than
    twice the larger seed standard deviation (the chapter's rule, ``verdicts_vs_best``)?"""
    from ..evaluation import verdicts_vs_best

    shape = '{"better": "<the model name of the better setting, as recorded>", "beyond_noise": True or False}'
    require(isinstance(answer, dict), f"expected a dict, got {type(answer).__name__}", hint=shape)
    missing = [k for k in ("better", "beyond_noise") if k not in answer]
    require(not missing, f"your answer has no {missing}", hint=shape)
    table = _lr_rows()
    require(len(table) >= 2, f"the results store has {len(table)} setting(s) of experiment {LR_EXPERIMENT!r} in "
            f"this profile ({_shown(table)}): run the experiment first",
            hint="train the head once per setting and seed, then record each setting's mean accuracy and its seed "
                 "std with cu.record_metrics(...) as the exercise shows")
    no_std = [m for m, v in table.items() if not math.isfinite(v.get("accuracy_std", float("nan")))]
    no_acc = [m for m, v in table.items() if "accuracy" not in v]
    require(not no_acc, f"no accuracy recorded for {no_acc}", hint='record names=["accuracy", "accuracy_std"]')
    require(not no_std, f"no seed standard deviation (metric 'accuracy_std') recorded for {no_std}: without it "
            "nobody can tell a difference from noise", hint="train each setting with at least 2 seeds and record "
                                                           "the std of their accuracies as 'accuracy_std'")
    means = {m: v["accuracy"] for m, v in table.items()}
    noise = max(v["accuracy_std"] for v in table.values())
    verdicts = verdicts_vs_best(means, noise)
    best = max(means, key=means.get)
    better = answer["better"]
    require(isinstance(better, str) and better.strip() in table,
            f"better must be one of the recorded settings {sorted(table)}, got {better!r}",
            hint="copy the model name of the setting you think won from the rows you recorded")
    require(better.strip() == best, f"{better.strip()!r} is not the better setting: recorded {_shown(table)}",
            hint="compare the mean accuracies you recorded, not a single seed")
    beyond = answer["beyond_noise"]
    require(isinstance(beyond, (bool, np.bool_)), f"beyond_noise must be True or False, got {beyond!r}")
    others = {m: v for m, v in verdicts.items() if m != best}
    truly_beyond = all(v.startswith("behind") for v in others.values())
    gap = means[best] - max(means[m] for m in others)
    require(bool(beyond) == truly_beyond,
            f"the gap to the runner-up is {gap:.4f} and twice the larger seed std is {2 * noise:.4f}: "
            f"{'beyond' if truly_beyond else 'within'} noise by the chapter's rule",
            hint="the chapter's rule (section 3): a gap smaller than about two seed standard deviations is no evidence")
    return (f"{best!r} is better by {gap:.4f}, "
            + ("more than twice the seed spread: a real difference at this budget." if truly_beyond else
               "less than twice the seed spread: no evidence of a difference."))
