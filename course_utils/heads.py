"""Classification heads over token states (chapter 05) and an encoder+head module.

Every head maps token states and their padding mask to logits, and respects the mask: adding padding to a batch
does not change its logits. Padding is assumed on the right (what BERT tokenizers produce).

>>> head = make_head("bilstm", hidden_size=384, num_labels=2)
>>> logits = head(states, mask)            # states (batch, seq_len, hidden), mask (batch, seq_len) -> (batch, 2)
>>> model = EncoderWithHead(cu.load_encoder("encoder"), head, freeze_encoder=True)
>>> logits = model(input_ids, attention_mask)

Heads: ``cls`` (linear on [CLS]), ``mean`` / ``max`` (masked pooling), ``bilstm`` (packed BiLSTM, final forward and
backward states), ``bilstm_attn`` (BiLSTM + a learned query attending over its outputs), ``attn`` (the same attention
pooling straight on the states), ``cnn`` (chapter 02's Kim CNN block, ``ConvMaxPool``, on the states).
Training a head on cached frozen states: ``features.py``; long documents in chunks: ``long_docs.py``.
"""
from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .embeddings import ConvMaxPool, masked_max, masked_mean  # chapter 02's pooling and CNN block, reused here
from .optim import weight_decay_groups

HEAD_NAMES = ("cls", "mean", "max", "bilstm", "bilstm_attn", "attn", "cnn")


# ----------------------------------------------------------------------------------------------- checks
def _check_inputs(states: torch.Tensor, mask: torch.Tensor, hidden_size: int | None = None) -> torch.Tensor:
    """Validate ``states`` (batch, seq_len, hidden) and ``mask`` (batch, seq_len); return the mask as bool."""
    if states.dim() != 3:
        raise ValueError(f"states must have shape (batch, seq_len, hidden), got {tuple(states.shape)}")
    if hidden_size is not None and states.shape[-1] != hidden_size:
        raise ValueError(f"states must have hidden size {hidden_size}, got {tuple(states.shape)}")
    if mask.shape != states.shape[:2]:
        raise ValueError(f"mask must have shape (batch, seq_len) = {tuple(states.shape[:2])}, got {tuple(mask.shape)}")
    mask = mask.bool()
    if not bool(mask[:, 0].all()):
        raise ValueError("mask: every row needs at least one real token, at position 0 (right padding)")
    return mask


def lengths_from_mask(mask: torch.Tensor) -> torch.Tensor:
    """True lengths (batch,) of right-padded sequences, as int64 on the CPU (what ``pack_padded_sequence`` wants)."""
    if mask.dim() != 2:
        raise ValueError(f"mask must have shape (batch, seq_len), got {tuple(mask.shape)}")
    return mask.long().sum(dim=1).cpu()


# ----------------------------------------------------------------------------------------------- pooling (masked_mean, masked_max: embeddings.py)
def last_real_step(outputs: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Each sequence's output at its true last token (not at position -1, which is padding on short rows).

    (batch, seq_len, dim), (batch, seq_len) -> (batch, dim)
    """
    idx = (mask.long().sum(dim=1) - 1).clamp(min=0)  # (batch,)
    return outputs[torch.arange(outputs.shape[0], device=outputs.device), idx]


class AttentionPooling(nn.Module):
    """A learned query scores every position; padding gets -inf before the softmax; returns the weighted sum.

    (batch, seq_len, dim), (batch, seq_len) -> (batch, dim); the weights are kept in ``last_weights``.
    """

    def __init__(self, dim: int):
        super().__init__()
        self.proj = nn.Linear(dim, dim)
        self.query = nn.Parameter(torch.randn(dim) / math.sqrt(dim))
        self.last_weights: torch.Tensor | None = None

    def forward(self, states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        scores = torch.tanh(self.proj(states)) @ self.query  # (batch, seq_len)
        scores = scores.masked_fill(~mask.bool(), float("-inf"))
        weights = torch.softmax(scores, dim=-1)  # (batch, seq_len), zero on padding
        self.last_weights = weights.detach()
        return torch.einsum("bt,btd->bd", weights, states)  # (batch, dim)


# ----------------------------------------------------------------------------------------------- heads
class Head(nn.Module):
    """Base class: ``forward(states (batch, seq_len, hidden), mask (batch, seq_len)) -> logits (batch, num_labels)``."""

    def __init__(self, hidden_size: int, num_labels: int, dropout: float = 0.1):
        super().__init__()
        if not isinstance(hidden_size, int) or hidden_size <= 0:
            raise ValueError(f"hidden_size must be a positive int, got {hidden_size!r}")
        if not isinstance(num_labels, int) or num_labels < 2:
            raise ValueError(f"num_labels must be an int >= 2, got {num_labels!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
        self.hidden_size, self.num_labels = hidden_size, num_labels
        self.dropout = nn.Dropout(dropout)

    def features(self, states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def forward(self, states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        mask = _check_inputs(states, mask, self.hidden_size)
        return self.classifier(self.dropout(self.features(states, mask)))


class LinearHead(Head):
    """A linear layer on one (hidden,) vector per text; each subclass says which vector (``features``)."""

    def __init__(self, hidden_size: int, num_labels: int, dropout: float = 0.1):
        super().__init__(hidden_size, num_labels, dropout)
        self.classifier = nn.Linear(hidden_size, num_labels)


class CLSHead(LinearHead):
    """Linear layer on the first token's state ([CLS])."""

    def features(self, states, mask):
        return states[:, 0]  # (batch, hidden)


class MeanPoolHead(LinearHead):
    """Linear layer on the mean of the real tokens' states."""

    def features(self, states, mask):
        return masked_mean(states, mask)  # (batch, hidden)


class MaxPoolHead(LinearHead):
    """Linear layer on the element-wise max of the real tokens' states."""

    def features(self, states, mask):
        return masked_max(states, mask)  # (batch, hidden)


class BiLSTMHead(Head):
    """A packed bidirectional LSTM (``batch_first=True``, default zero state); classifies [h_fwd_last; h_bwd_first].

    Packing makes the LSTM stop at each sequence's true end, so padding never enters its state.
    """

    def __init__(self, hidden_size: int, num_labels: int, lstm_size: int = 128, dropout: float = 0.1):
        super().__init__(hidden_size, num_labels, dropout)
        if not isinstance(lstm_size, int) or lstm_size <= 0:
            raise ValueError(f"lstm_size must be a positive int, got {lstm_size!r}")
        self.lstm = nn.LSTM(hidden_size, lstm_size, batch_first=True, bidirectional=True)
        self.classifier = nn.Linear(2 * lstm_size, num_labels)

    def run_lstm(self, states: torch.Tensor, mask: torch.Tensor):
        packed = pack_padded_sequence(states, lengths_from_mask(mask), batch_first=True, enforce_sorted=False)
        out, (h_n, _) = self.lstm(packed)  # h_n: (2 directions, batch, lstm_size)
        return out, h_n

    def features(self, states, mask):
        _, h_n = self.run_lstm(states, mask)
        return torch.cat([h_n[0], h_n[1]], dim=-1)  # (batch, 2 * lstm_size)


class BiLSTMAttentionHead(BiLSTMHead):
    """Packed BiLSTM, then attention pooling (a learned query, padding masked) over its outputs."""

    def __init__(self, hidden_size: int, num_labels: int, lstm_size: int = 128, dropout: float = 0.1):
        super().__init__(hidden_size, num_labels, lstm_size, dropout)
        self.pool = AttentionPooling(2 * lstm_size)

    def features(self, states, mask):
        out, _ = self.run_lstm(states, mask)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=states.shape[1])  # (batch, seq_len, 2*lstm)
        return self.pool(out, mask)  # (batch, 2 * lstm_size)


class AttentionPoolHead(Head):
    """Attention pooling (a learned query, padding masked) straight over the encoder states, then a linear layer."""

    def __init__(self, hidden_size: int, num_labels: int, dropout: float = 0.1):
        super().__init__(hidden_size, num_labels, dropout)
        self.pool = AttentionPooling(hidden_size)
        self.classifier = nn.Linear(hidden_size, num_labels)

    def features(self, states, mask):
        return self.pool(states, mask)  # (batch, hidden)


class CNNHead(Head):
    """Kim (2014) over the states: 1-D convolutions of several widths, ReLU, masked max over time (``ConvMaxPool``,
    the block of chapter 02's ``CNNClassifier``), then a linear layer."""

    def __init__(self, hidden_size: int, num_labels: int, num_filters: int = 128, widths: Sequence[int] = (3, 5),
                 dropout: float = 0.1):
        super().__init__(hidden_size, num_labels, dropout)
        self.conv = ConvMaxPool(hidden_size, num_filters, widths)
        self.classifier = nn.Linear(self.conv.out_dim, num_labels)

    def features(self, states, mask):
        return self.conv(states, mask)  # (batch, num_filters * n_widths)


_HEADS: dict[str, type[Head]] = {
    "cls": CLSHead, "mean": MeanPoolHead, "max": MaxPoolHead, "bilstm": BiLSTMHead,
    "bilstm_attn": BiLSTMAttentionHead, "attn": AttentionPoolHead, "cnn": CNNHead,
}


def make_head(name: str, hidden_size: int, num_labels: int, **kwargs) -> Head:
    """Build head ``name`` (one of ``HEAD_NAMES``); extra keyword arguments go to its constructor."""
    if name not in _HEADS:
        raise ValueError(f"name must be one of {HEAD_NAMES}, got {name!r}")
    return _HEADS[name](hidden_size, num_labels, **kwargs)


# ----------------------------------------------------------------------------------------------- encoder + head
class EncoderWithHead(nn.Module):
    """A transformers encoder (``AutoModel``) with one of the heads on its last hidden states.

    ``forward(input_ids, attention_mask, token_type_ids=None) -> logits (batch, num_labels)``.
    ``freeze_encoder=True`` freezes its weights, keeps it in eval mode (no dropout) and runs it without a graph.
    """

    def __init__(self, encoder: nn.Module, head: Head, freeze_encoder: bool = False):
        super().__init__()
        if not isinstance(head, Head):
            raise ValueError(f"head must be a course_utils.heads.Head (see make_head), got {type(head).__name__}")
        hidden = getattr(getattr(encoder, "config", None), "hidden_size", None)
        if hidden is not None and hidden != head.hidden_size:
            raise ValueError(f"head: built for hidden size {head.hidden_size}, the encoder gives {hidden}")
        self.encoder, self.head, self.freeze_encoder = encoder, head, freeze_encoder
        for p in self.encoder.parameters():
            p.requires_grad_(not freeze_encoder)

    def train(self, mode: bool = True):
        super().train(mode)
        if self.freeze_encoder:
            self.encoder.eval()
        return self

    def encode(self, input_ids, attention_mask, token_type_ids=None) -> torch.Tensor:
        """Last hidden states (batch, seq_len, hidden)."""
        kwargs = {"token_type_ids": token_type_ids} if token_type_ids is not None else {}
        with torch.set_grad_enabled(torch.is_grad_enabled() and not self.freeze_encoder):
            return self.encoder(input_ids=input_ids, attention_mask=attention_mask, **kwargs).last_hidden_state

    def forward(self, input_ids, attention_mask, token_type_ids=None, **_ignored) -> torch.Tensor:
        return self.head(self.encode(input_ids, attention_mask, token_type_ids), attention_mask)


def param_groups(model: EncoderWithHead, encoder_lr: float, head_lr: float, weight_decay: float = 0.01) -> list[dict]:
    """Optimizer groups: the encoder at ``encoder_lr``, the head at ``head_lr`` (weight decay: ``optim.decays``)."""
    if not isinstance(model, EncoderWithHead):
        raise ValueError(f"model must be an EncoderWithHead, got {type(model).__name__}")
    if encoder_lr <= 0 or head_lr <= 0:
        raise ValueError(f"encoder_lr and head_lr must be > 0, got {encoder_lr} and {head_lr}")
    return (weight_decay_groups(model.encoder, weight_decay, lr=encoder_lr)
            + weight_decay_groups(model.head, weight_decay, lr=head_lr))
