"""Checks for chapter 05 (BERT + LSTM / attention heads done right, long documents)."""
from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from ..exercises import as_number, as_tensor, exercise, require, require_usage


def _padded_batch(seed: int, lengths=(5, 2, 7, 1), dim: int = 4, extra: int = 2):
    g = torch.Generator().manual_seed(seed)
    seq_len = max(lengths) + extra
    x = torch.randn(len(lengths), seq_len, dim, generator=g)
    mask = torch.arange(seq_len)[None, :] < torch.tensor(lengths)[:, None]
    return x, mask


@exercise("5.1", "read the true last step")
def check_last_step(answer) -> str:
    """``answer``: ``last_step(outputs, mask)`` -> (batch, dim), each row's output at its last real token."""
    require(callable(answer), "expected a function last_step(outputs, mask)")
    for seed in range(3):
        out, mask = _padded_batch(seed)
        ref = out[torch.arange(out.shape[0]), mask.sum(1) - 1]
        got = as_tensor(answer(out, mask), "last_step(outputs, mask)", shape=tuple(ref.shape), like=ref)
        require(not torch.allclose(got, out[:, -1]) or torch.allclose(ref, out[:, -1]),
                "that is output[:, -1, :]: on padded rows it reads a padding position",
                hint="the last real token of row i is at index mask[i].sum() - 1")
        require(torch.allclose(got, ref), "some rows are not the output at their last real token",
                hint="index with torch.arange(batch) and lengths - 1")
    return "it picks position length-1 of every row, whatever the padding."


@exercise("5.2", "BiLSTM features from the padded outputs")
def check_bilstm_features(answer) -> str:
    """``answer``: ``bilstm_features(out, mask)``: from the padded outputs (batch, seq_len, 2*hidden) of a packed
    1-layer BiLSTM, rebuild ``torch.cat([h_n[0], h_n[1]], -1)`` (batch, 2*hidden)."""
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
        got = as_tensor(answer(out, mask), "bilstm_features(out, mask)", shape=tuple(ref.shape), like=ref)
        require(torch.allclose(got[:, :3], ref[:, :3], atol=1e-6), "the forward half is not h_n[0]",
                hint="the forward direction ends at each row's LAST REAL step (out[..., :hidden])")
        require(torch.allclose(got[:, 3:], ref[:, 3:], atol=1e-6), "the backward half is not h_n[1]",
                hint="the backward direction reads right to left: it ENDS at position 0 (out[:, 0, hidden:])")
    return "forward half at the last real step, backward half at position 0: exactly h_n."


@exercise("5.3", "how many chunks?")
def check_n_chunks(answer, tokenizer=None) -> str:
    """``answer``: ``n_chunks(n_tokens, chunk_len, overlap)``: how many windows the fast tokenizer makes of a text
    of ``n_tokens`` word pieces with ``max_length=chunk_len, stride=overlap, return_overflowing_tokens=True``."""
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
        got = as_number(answer(n_tokens, chunk_len, overlap), "n_chunks(n_tokens, chunk_len, overlap)")
        require(got == expected,
                f"n_chunks({n_tokens}, {chunk_len}, {overlap}) = {got}, the tokenizer makes {expected}",
                hint="each window holds chunk_len - 2 word pieces ([CLS] and [SEP] take 2); "
                     "each new window starts (chunk_len - 2 - overlap) pieces after the previous one")
    return "it matches the tokenizer's windowing, special tokens and overlap included."
