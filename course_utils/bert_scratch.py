"""A BERT encoder written from scratch (chapter 03), small enough to read in one sitting.

Every piece is the textbook formula with shape comments; ``load_from_transformers`` copies the weights of a
``transformers`` ``BertModel`` in, so the notebook can prove that the two give the same hidden states.

>>> scratch = load_from_transformers(hf_model)            # hf_model: transformers BertModel (eval mode)
>>> out = scratch(input_ids, attention_mask, token_type_ids)
>>> out.last_hidden_state.shape                            # (batch, seq_len, hidden)

Pieces: ``BertConfigLite`` (the numbers), ``Embeddings`` (token + segment + LEARNED position, LayerNorm),
``additive_mask`` and ``scaled_dot_product_attention``, ``MultiHeadSelfAttention``, ``FeedForward``,
``EncoderLayer`` (post-LayerNorm residual blocks, as in BERT), ``Encoder``, plus ``mask_tokens`` (the MLM
80/10/10 rule) and ``parameter_counts`` (parameters per component from a config).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple

import torch
from torch import nn
from torch.nn import functional as F

__all__ = [
    "BertConfigLite", "Embeddings", "additive_mask", "causal_mask", "scaled_dot_product_attention",
    "MultiHeadSelfAttention", "FeedForward", "EncoderLayer", "Encoder", "EncoderOutput",
    "load_from_transformers", "mask_tokens", "parameter_counts",
]


@dataclass(frozen=True)
class BertConfigLite:
    """The numbers that define a BERT encoder (names as in ``transformers.BertConfig``)."""

    vocab_size: int = 30522
    hidden_size: int = 768
    num_hidden_layers: int = 12
    num_attention_heads: int = 12
    intermediate_size: int = 3072
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    layer_norm_eps: float = 1e-12
    hidden_act: str = "gelu"

    def __post_init__(self) -> None:
        for name in ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
                     "max_position_embeddings", "type_vocab_size"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if self.hidden_size % self.num_attention_heads:
            raise ValueError(
                f"hidden_size ({self.hidden_size}) must be divisible by num_attention_heads ({self.num_attention_heads})")
        if self.hidden_act not in ACTIVATIONS:
            raise ValueError(f"hidden_act must be one of {sorted(ACTIVATIONS)}, got {self.hidden_act!r}")

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_attention_heads

    @classmethod
    def from_config(cls, config: Any) -> "BertConfigLite":
        """From a ``transformers.BertConfig`` (or anything with the same attribute names)."""
        return cls(**{name: getattr(config, name) for name in cls.__dataclass_fields__})


def _gelu_tanh(x: torch.Tensor) -> torch.Tensor:
    return F.gelu(x, approximate="tanh")


# BERT uses the exact (erf) GELU; some checkpoints name the tanh approximation "gelu_new".
ACTIVATIONS = {"gelu": F.gelu, "gelu_new": _gelu_tanh, "gelu_pytorch_tanh": _gelu_tanh, "relu": F.relu}


class Embeddings(nn.Module):
    """token + segment + position embeddings, then LayerNorm (and dropout when training).

    BERT's position embeddings are a LEARNED table of ``max_position_embeddings`` rows (not sinusoids).
    """

    def __init__(self, cfg: BertConfigLite):
        super().__init__()
        self.word_embeddings = nn.Embedding(cfg.vocab_size, cfg.hidden_size)  # (vocab, hidden)
        self.position_embeddings = nn.Embedding(cfg.max_position_embeddings, cfg.hidden_size)  # (max_pos, hidden)
        self.token_type_embeddings = nn.Embedding(cfg.type_vocab_size, cfg.hidden_size)  # (2, hidden)
        self.LayerNorm = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)
        self.dropout = nn.Dropout(0.1)

    def forward(self, input_ids: torch.Tensor, token_type_ids: torch.Tensor | None = None) -> torch.Tensor:
        """``input_ids``: (batch, seq_len) -> (batch, seq_len, hidden)."""
        seq_len = input_ids.shape[1]
        if seq_len > self.position_embeddings.num_embeddings:
            raise ValueError(f"input_ids has {seq_len} positions; this model knows at most "
                             f"{self.position_embeddings.num_embeddings} (truncate the input)")
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        positions = torch.arange(seq_len, device=input_ids.device)  # (seq_len,)
        x = (self.word_embeddings(input_ids)  # (batch, seq_len, hidden)
             + self.token_type_embeddings(token_type_ids)  # (batch, seq_len, hidden)
             + self.position_embeddings(positions)[None])  # (1, seq_len, hidden), broadcast over the batch
        return self.dropout(self.LayerNorm(x))


def additive_mask(attention_mask: torch.Tensor, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """(batch, seq_len) of 1 = real token / 0 = padding -> (batch, 1, 1, seq_len) to ADD to attention scores.

    Real keys get 0, padding keys get the most negative number of ``dtype``: after the softmax their weight is
    exactly 0, so no query attends to padding. (Multiplying probabilities by the mask after the softmax would
    leave rows that no longer sum to 1.)
    """
    if not isinstance(attention_mask, torch.Tensor) or attention_mask.dim() != 2:
        shape = tuple(attention_mask.shape) if isinstance(attention_mask, torch.Tensor) else type(attention_mask).__name__
        raise ValueError(f"attention_mask must be a (batch, seq_len) tensor of 0/1, got {shape}")
    mask = attention_mask[:, None, None, :].to(dtype)  # (batch, 1, 1, seq_len): broadcast over heads and queries
    return (1.0 - mask) * torch.finfo(dtype).min


def causal_mask(seq_len: int, device: torch.device | str | None = None) -> torch.Tensor:
    """(seq_len, seq_len) bool, True where query i may look at key j (j <= i): a GPT-style decoder's mask."""
    if not isinstance(seq_len, int) or seq_len < 1:
        raise ValueError(f"seq_len must be a positive integer, got {seq_len!r}")
    return torch.tril(torch.ones(seq_len, seq_len, dtype=torch.bool, device=device))


def scaled_dot_product_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                                 mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """softmax(q k^T / sqrt(d) + mask) v.

    ``q``, ``k``, ``v``: (..., seq_len, d); ``mask``: additive, broadcastable to (..., seq_q, seq_k).
    Returns (output (..., seq_q, d), weights (..., seq_q, seq_k)). Dividing by sqrt(d) keeps the scores' variance
    near 1 so the softmax does not saturate as d grows.
    """
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ValueError(f"q, k, v shapes do not fit: q {tuple(q.shape)}, k {tuple(k.shape)}, v {tuple(v.shape)}")
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])  # (..., seq_q, seq_k)
    if mask is not None:
        scores = scores + mask
    weights = scores.softmax(dim=-1)  # (..., seq_q, seq_k), each row sums to 1
    return weights @ v, weights  # (..., seq_q, d)


class MultiHeadSelfAttention(nn.Module):
    """Project to queries/keys/values, split into heads, attend, merge heads, project back."""

    def __init__(self, cfg: BertConfigLite):
        super().__init__()
        h = cfg.hidden_size
        self.num_heads, self.head_dim = cfg.num_attention_heads, cfg.head_dim
        self.query, self.key, self.value = nn.Linear(h, h), nn.Linear(h, h), nn.Linear(h, h)
        self.output = nn.Linear(h, h)

    def _split(self, x: torch.Tensor) -> torch.Tensor:
        b, s, _ = x.shape  # (batch, seq_len, hidden)
        return x.view(b, s, self.num_heads, self.head_dim).transpose(1, 2)  # (batch, heads, seq_len, head_dim)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """``x``: (batch, seq_len, hidden); ``mask``: additive (batch, 1, 1, seq_len) or (seq, seq)."""
        q, k, v = self._split(self.query(x)), self._split(self.key(x)), self._split(self.value(x))
        context, weights = scaled_dot_product_attention(q, k, v, mask)  # (batch, heads, seq_len, head_dim)
        b, _, s, _ = context.shape
        context = context.transpose(1, 2).reshape(b, s, -1)  # (batch, seq_len, hidden): heads side by side
        return self.output(context), weights  # weights: (batch, heads, seq_len, seq_len)


class FeedForward(nn.Module):
    """Position-wise: Linear(hidden -> intermediate), GELU, Linear(intermediate -> hidden)."""

    def __init__(self, cfg: BertConfigLite):
        super().__init__()
        self.intermediate = nn.Linear(cfg.hidden_size, cfg.intermediate_size)
        self.output = nn.Linear(cfg.intermediate_size, cfg.hidden_size)
        self.act = ACTIVATIONS[cfg.hidden_act]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.output(self.act(self.intermediate(x)))  # (batch, seq_len, hidden)


class EncoderLayer(nn.Module):
    """x = LayerNorm(x + Attention(x)); x = LayerNorm(x + FFN(x))  (BERT is post-LN; GPT-2 and later are pre-LN)."""

    def __init__(self, cfg: BertConfigLite):
        super().__init__()
        self.attention = MultiHeadSelfAttention(cfg)
        self.attention_norm = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)
        self.ffn = FeedForward(cfg)
        self.ffn_norm = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)
        self.dropout = nn.Dropout(0.1)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        attn_out, weights = self.attention(x, mask)  # (batch, seq_len, hidden)
        x = self.attention_norm(x + self.dropout(attn_out))  # residual + LayerNorm
        x = self.ffn_norm(x + self.dropout(self.ffn(x)))  # residual + LayerNorm
        return x, weights


class EncoderOutput(NamedTuple):
    last_hidden_state: torch.Tensor  # (batch, seq_len, hidden)
    hidden_states: tuple[torch.Tensor, ...]  # num_layers + 1 tensors (embeddings first), each (batch, seq_len, hidden)
    attentions: tuple[torch.Tensor, ...]  # num_layers tensors, each (batch, heads, seq_len, seq_len)


class Encoder(nn.Module):
    """Embeddings followed by ``num_hidden_layers`` encoder layers (no pooler, no task head)."""

    def __init__(self, cfg: BertConfigLite):
        super().__init__()
        self.config = cfg
        self.embeddings = Embeddings(cfg)
        self.layers = nn.ModuleList(EncoderLayer(cfg) for _ in range(cfg.num_hidden_layers))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None,
                token_type_ids: torch.Tensor | None = None) -> EncoderOutput:
        """``input_ids``, ``attention_mask``, ``token_type_ids``: (batch, seq_len) -> ``EncoderOutput``."""
        if not isinstance(input_ids, torch.Tensor) or input_ids.dim() != 2:
            raise ValueError(f"input_ids must be a (batch, seq_len) tensor, got "
                             f"{tuple(input_ids.shape) if isinstance(input_ids, torch.Tensor) else type(input_ids).__name__}")
        x = self.embeddings(input_ids, token_type_ids)  # (batch, seq_len, hidden)
        mask = None if attention_mask is None else additive_mask(attention_mask, x.dtype)  # (batch, 1, 1, seq_len)
        hidden, attentions = [x], []
        for layer in self.layers:
            x, weights = layer(x, mask)
            hidden.append(x)
            attentions.append(weights)
        return EncoderOutput(x, tuple(hidden), tuple(attentions))


def _weight_map(num_layers: int) -> dict[str, str]:
    """Our parameter names -> ``transformers`` BertModel parameter names."""
    names = {f"embeddings.{n}.weight": f"embeddings.{n}.weight"
             for n in ("word_embeddings", "position_embeddings", "token_type_embeddings")}
    names.update({f"embeddings.LayerNorm.{p}": f"embeddings.LayerNorm.{p}" for p in ("weight", "bias")})
    for i in range(num_layers):
        ours, theirs = f"layers.{i}.", f"encoder.layer.{i}."
        pairs = {
            "attention.query": "attention.self.query", "attention.key": "attention.self.key",
            "attention.value": "attention.self.value", "attention.output": "attention.output.dense",
            "attention_norm": "attention.output.LayerNorm", "ffn.intermediate": "intermediate.dense",
            "ffn.output": "output.dense", "ffn_norm": "output.LayerNorm",
        }
        for a, b in pairs.items():
            for p in ("weight", "bias"):
                names[f"{ours}{a}.{p}"] = f"{theirs}{b}.{p}"
    return names


def load_from_transformers(hf_model: nn.Module) -> Encoder:
    """A from-scratch ``Encoder`` holding a copy of a ``transformers`` BertModel's weights (same device/dtype).

    Every parameter is copied by name; a missing or mis-shaped one raises ``ValueError``. Returned in eval mode.
    """
    if not hasattr(hf_model, "config") or not hasattr(hf_model, "state_dict"):
        raise ValueError(f"hf_model must be a transformers BertModel, got {type(hf_model).__name__}")
    base = getattr(hf_model, "bert", hf_model)  # accept BertFor... models too: use their encoder
    cfg = BertConfigLite.from_config(base.config)
    theirs = base.state_dict()
    ref = next(base.parameters())
    model = Encoder(cfg).to(device=ref.device, dtype=ref.dtype)
    state = {}
    for ours, name in _weight_map(cfg.num_hidden_layers).items():
        if name not in theirs:
            raise ValueError(f"hf_model has no parameter {name!r}: is it a BERT-architecture model?")
        state[ours] = theirs[name]
    model.load_state_dict(state, strict=True)
    return model.eval()


def mask_tokens(input_ids: torch.Tensor, special_tokens_mask: torch.Tensor, mask_token_id: int, vocab_size: int,
                mlm_probability: float = 0.15, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """BERT's masked-language-model corruption (the 80/10/10 rule).

    Each non-special token is chosen with probability ``mlm_probability``. Of the chosen ones, 80% become
    ``[MASK]``, 10% a random token and 10% stay unchanged; the model must predict the original token at every
    chosen position. Returns ``(inputs, labels)``, both (batch, seq_len); labels are -100 (ignored by the loss)
    where nothing was chosen. The random draws follow ``DataCollatorForLanguageModeling`` so the same generator
    seed gives the same result.
    """
    if not 0.0 < mlm_probability < 1.0:
        raise ValueError(f"mlm_probability must be in (0, 1), got {mlm_probability!r}")
    if input_ids.shape != special_tokens_mask.shape:
        raise ValueError(f"special_tokens_mask must have the shape of input_ids {tuple(input_ids.shape)}, "
                         f"got {tuple(special_tokens_mask.shape)}")
    inputs, labels = input_ids.clone(), input_ids.clone()
    probs = torch.full(labels.shape, mlm_probability)
    probs.masked_fill_(special_tokens_mask.bool(), 0.0)  # never choose [CLS], [SEP], [PAD]
    chosen = torch.bernoulli(probs, generator=generator).bool()
    labels[~chosen] = -100
    to_mask = torch.bernoulli(torch.full(labels.shape, 0.8), generator=generator).bool() & chosen  # 80%
    inputs[to_mask] = mask_token_id
    # half of the remaining 20% -> a random token; the other half stays as it was
    to_random = torch.bernoulli(torch.full(labels.shape, 0.5), generator=generator).bool() & chosen & ~to_mask
    random_ids = torch.randint(vocab_size, labels.shape, dtype=torch.long, generator=generator)
    inputs[to_random] = random_ids[to_random]
    return inputs, labels


def parameter_counts(config: Any, pooler: bool = True) -> dict[str, int]:
    """Parameters of a BERT encoder by component, from its config (a ``BertConfig`` or ``BertConfigLite``).

    V vocab, P positions, T segment types, H hidden, I intermediate, L layers:
    embeddings (V + P + T) * H + 2H (LayerNorm); per layer attention 4(H*H + H) + 2H, FFN (H*I + I) + (I*H + H) + 2H;
    pooler H*H + H.
    """
    cfg = config if isinstance(config, BertConfigLite) else BertConfigLite.from_config(config)
    v, p, t = cfg.vocab_size, cfg.max_position_embeddings, cfg.type_vocab_size
    h, i, n = cfg.hidden_size, cfg.intermediate_size, cfg.num_hidden_layers
    counts = {
        "token embeddings": v * h,
        "position + segment embeddings": (p + t) * h,
        "embedding LayerNorm": 2 * h,
        "attention (Q, K, V, output)": n * 4 * (h * h + h),
        "feed-forward": n * (h * i + i + i * h + h),
        "LayerNorms in layers": n * 2 * 2 * h,
    }
    if pooler:
        counts["pooler"] = h * h + h
    counts["total"] = sum(counts.values())
    return counts
