"""Checks for chapter 03 (BERT theory): the padding mask, parameter counts, the causal mask."""
from __future__ import annotations

import numpy as np

from ..exercises import as_tensor, exercise, require


@exercise("3.1", "the additive padding mask")
def check_additive_mask(answer) -> str:
    """``answer``: a function ``(attention_mask (batch, seq_len) of 0/1) -> tensor`` to ADD to scores of shape
    (batch, heads, seq_len, seq_len) before the softmax."""
    import torch

    require(callable(answer), "expected a function make_mask(attention_mask)")
    gen = torch.Generator().manual_seed(0)
    attention_mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [1, 0, 0, 0, 0]])
    scores = torch.randn(3, 2, 5, 5, generator=gen) * 3  # (batch, heads, seq, seq)
    mask = as_tensor(answer(attention_mask.clone()), "make_mask(attention_mask)")
    mask = mask.to(scores.dtype)
    try:
        weights = (scores + mask).softmax(-1)
    except RuntimeError:
        weights = None
    require(weights is not None, f"a mask of shape {tuple(mask.shape)} cannot be added to scores (3, 2, 5, 5)",
            hint="give the mask the shape (batch, 1, 1, seq_len) so it broadcasts over heads and query positions")
    require(tuple(weights.shape) == (3, 2, 5, 5),
            f"scores + mask has shape {tuple(weights.shape)}, expected (3, 2, 5, 5)",
            hint="give the mask the shape (batch, 1, 1, seq_len) so it broadcasts over heads and query positions")
    require(not torch.isnan(weights).any(), "the softmax gave NaN",
            hint="0 * -inf is NaN: use (1 - mask) * a large negative finite number, e.g. torch.finfo(float32).min")
    pad = (attention_mask == 0)[:, None, None, :].expand_as(weights)
    require(bool((weights[pad] < 1e-6).all()), "padding keys still get attention weight",
            hint="padding (mask 0) must get a large NEGATIVE number, real tokens (mask 1) must get 0")
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
    num_hidden_layers, intermediate_size, max_position_embeddings, type_vocab_size (pooler included)."""
    from ..bert_scratch import BertConfigLite

    require(callable(answer), "expected a function count(config)")
    configs = {
        "BERT-base": BertConfigLite(),
        "BERT-large": BertConfigLite(hidden_size=1024, num_hidden_layers=24, num_attention_heads=16, intermediate_size=4096),
        "MiniLM-L6": BertConfigLite(hidden_size=384, num_hidden_layers=6, intermediate_size=1536),
        "tiny": BertConfigLite(vocab_size=100, hidden_size=8, num_hidden_layers=2, num_attention_heads=2,
                               intermediate_size=16, max_position_embeddings=10),
    }
    for name, cfg in configs.items():
        got, ref = answer(cfg), _reference_params(cfg)
        require(isinstance(got, (int, np.integer)) and not isinstance(got, bool),
                f"count({name}) returned {type(got).__name__}, expected an integer", hint="return int(total)")
        diff = int(got) - ref
        if diff == -(cfg.hidden_size ** 2 + cfg.hidden_size):
            require(False, f"{name}: {got:,} is exactly the pooler short", hint="add the pooler: H*H + H")
        if diff and diff % (2 * cfg.hidden_size) == 0 and 0 < abs(diff) // (2 * cfg.hidden_size) <= 2 * cfg.num_hidden_layers + 1:
            require(False, f"{name}: {got:,} differs by {diff:+,}, a multiple of one LayerNorm (2 * hidden)",
                    hint="one LayerNorm after the embeddings and two per layer, each with a weight and a bias")
        require(diff == 0, f"{name}: {got:,} parameters, expected {ref:,} (off by {diff:+,})",
                hint="embeddings (V+P+T)*H + 2H; per layer 4(H*H+H) + 2H + (H*I+I) + (I*H+H) + 2H; pooler H*H+H")
    return "right for BERT-base, BERT-large, MiniLM and a tiny config."


@exercise("3.3", "the causal (GPT) mask")
def check_causal_mask(answer) -> str:
    """``answer``: a function ``causal(seq_len) -> bool tensor (seq_len, seq_len)``, True where query i may see key j."""
    import torch

    require(callable(answer), "expected a function causal(seq_len)")
    for n in (1, 4, 7):
        got = as_tensor(answer(n), f"causal({n})")
        require(tuple(got.shape) == (n, n), f"causal({n}) has shape {tuple(got.shape)}, expected ({n}, {n})")
        got = got.bool()
        ref = torch.tril(torch.ones(n, n, dtype=torch.bool))
        require(not (n > 1 and torch.equal(got, ref.T)), "your mask is transposed: token 0 sees the whole future",
                hint="rows are queries: query i may look at keys 0..i (lower triangle)")
        require(not (n > 1 and torch.equal(got, torch.tril(torch.ones(n, n, dtype=torch.bool), -1))),
                "each token must also see itself (the diagonal)")
        require(torch.equal(got, ref), f"causal({n}) is not the lower-triangular mask", hint="torch.tril")
    return "query i sees keys 0..i and nothing later."
