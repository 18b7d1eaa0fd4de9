"""Classification heads over token states (chapter 05), an encoder+head module, and a hierarchical chunk model.

Every head maps token states and their padding mask to logits, and respects the mask: adding padding to a batch
does not change its logits. Padding is assumed on the right (what BERT tokenizers produce).

>>> head = make_head("bilstm", hidden_size=384, num_labels=2)
>>> logits = head(states, mask)            # states (batch, seq_len, hidden), mask (batch, seq_len) -> (batch, 2)
>>> model = EncoderWithHead(cu.load_encoder("encoder"), head, freeze_encoder=True)
>>> logits = model(input_ids, attention_mask)

Heads: ``cls`` (linear on [CLS]), ``mean`` / ``max`` (masked pooling), ``bilstm`` (packed BiLSTM, final forward and
backward states), ``bilstm_attn`` (BiLSTM + a learned query attending over its outputs), ``attn`` (the same attention
pooling straight on the states), ``cnn`` (1-D convolutions + masked max over time).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .embeddings import masked_mean  # the masked mean taught in chapter 02 (re-exported here)

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


# ----------------------------------------------------------------------------------------------- pooling
def masked_max(states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Element-wise max over the real tokens: (batch, seq_len, hidden), (batch, seq_len) -> (batch, hidden)."""
    filled = states.masked_fill(~mask.bool().unsqueeze(-1), torch.finfo(states.dtype).min)
    return filled.max(dim=1).values


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


class CLSHead(Head):
    """Linear layer on the first token's state ([CLS])."""

    def __init__(self, hidden_size: int, num_labels: int, dropout: float = 0.1):
        super().__init__(hidden_size, num_labels, dropout)
        self.classifier = nn.Linear(hidden_size, num_labels)

    def features(self, states, mask):
        return states[:, 0]  # (batch, hidden)


class MeanPoolHead(Head):
    """Linear layer on the mean of the real tokens' states."""

    def __init__(self, hidden_size: int, num_labels: int, dropout: float = 0.1):
        super().__init__(hidden_size, num_labels, dropout)
        self.classifier = nn.Linear(hidden_size, num_labels)

    def features(self, states, mask):
        return masked_mean(states, mask)  # (batch, hidden)


class MaxPoolHead(Head):
    """Linear layer on the element-wise max of the real tokens' states."""

    def __init__(self, hidden_size: int, num_labels: int, dropout: float = 0.1):
        super().__init__(hidden_size, num_labels, dropout)
        self.classifier = nn.Linear(hidden_size, num_labels)

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
    """1-D convolutions (several widths, 'same' padding) over the states, ReLU, masked max over time (Kim 2014).

    Padded positions are zeroed before the convolution, so a real position near the end sees zeros whether the
    batch has 0 or 100 padding tokens after it: the same zeros the convolution's own padding would add.
    """

    def __init__(self, hidden_size: int, num_labels: int, channels: int = 128,
                 kernel_sizes: Sequence[int] = (3, 5), dropout: float = 0.1):
        super().__init__(hidden_size, num_labels, dropout)
        if not kernel_sizes or any((not isinstance(k, int)) or k < 1 or k % 2 == 0 for k in kernel_sizes):
            raise ValueError(f"kernel_sizes must be odd positive ints, got {kernel_sizes!r}")
        self.convs = nn.ModuleList(nn.Conv1d(hidden_size, channels, k, padding=k // 2) for k in kernel_sizes)
        self.classifier = nn.Linear(channels * len(kernel_sizes), num_labels)

    def features(self, states, mask):
        x = (states * mask.unsqueeze(-1).to(states.dtype)).transpose(1, 2)  # (batch, hidden, seq_len)
        pooled = [masked_max(torch.relu(conv(x)).transpose(1, 2), mask) for conv in self.convs]  # each (batch, channels)
        return torch.cat(pooled, dim=-1)  # (batch, channels * n_kernels)


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
    """Optimizer groups: the encoder at ``encoder_lr``, the head at ``head_lr`` (no decay on biases / LayerNorm)."""
    if not isinstance(model, EncoderWithHead):
        raise ValueError(f"model must be an EncoderWithHead, got {type(model).__name__}")
    if encoder_lr <= 0 or head_lr <= 0:
        raise ValueError(f"encoder_lr and head_lr must be > 0, got {encoder_lr} and {head_lr}")
    groups = []
    for part, lr in ((model.encoder, encoder_lr), (model.head, head_lr)):
        named = [(n, p) for n, p in part.named_parameters() if p.requires_grad]
        decay = [p for n, p in named if p.dim() > 1]
        no_decay = [p for n, p in named if p.dim() <= 1]
        groups += [g for g in ({"params": decay, "lr": lr, "weight_decay": weight_decay},
                               {"params": no_decay, "lr": lr, "weight_decay": 0.0}) if g["params"]]
    return groups


# ----------------------------------------------------------------------------------------------- caching states
@dataclass
class TokenCache:
    """Frozen-encoder outputs, computed once: ``states`` (n, seq_len, hidden) float16, ``mask`` (n, seq_len) bool."""

    states: torch.Tensor
    mask: torch.Tensor
    seconds: float = 0.0
    n_tokens: int = 0

    def __len__(self) -> int:
        return self.states.shape[0]


def encode_texts(encoder, tokenizer, texts: Sequence[str], max_length: int, batch_size: int = 64,
                 device=None, desc: str = "encoding", pool: str | None = None) -> TokenCache:
    """Run the frozen ``encoder`` once over ``texts`` (truncated to ``max_length`` tokens); see ``encode_ids``."""
    if isinstance(texts, str) or len(texts) == 0:
        raise ValueError("texts must be a non-empty list of strings")
    if max_length < 2:
        raise ValueError(f"max_length must be >= 2, got {max_length}")
    ids = tokenizer(list(texts), truncation=True, max_length=max_length)["input_ids"]
    return encode_ids(encoder, tokenizer, ids, batch_size, device, desc, pool)


@torch.no_grad()
def encode_ids(encoder, tokenizer, input_ids: Sequence[Sequence[int]], batch_size: int = 64, device=None,
               desc: str = "encoding", pool: str | None = None) -> TokenCache:
    """Run the frozen ``encoder`` once over tokenized texts (length-sorted batches, dynamic padding).

    ``pool=None`` keeps every token state (right-padded to the longest text); ``pool="mean"`` keeps one masked-mean
    vector per text (states (n, 1, hidden)). States are stored as float16 on the CPU to save memory.
    """
    from tqdm.auto import tqdm

    if len(input_ids) == 0:
        raise ValueError("input_ids must be a non-empty list of token id lists")
    if pool not in (None, "mean"):
        raise ValueError(f"pool must be None or 'mean', got {pool!r}")
    device = device or next(encoder.parameters()).device
    encoder.eval()
    lengths = [len(ids) for ids in input_ids]
    order = sorted(range(len(input_ids)), key=lambda i: lengths[i])
    width = 1 if pool else max(lengths)
    states = torch.zeros(len(input_ids), width, encoder.config.hidden_size, dtype=torch.float16)
    mask = torch.zeros(len(input_ids), width, dtype=torch.bool)
    start = time.perf_counter()
    for b in tqdm(range(0, len(order), batch_size), desc=desc, leave=False):
        idx = order[b:b + batch_size]
        batch = tokenizer.pad({"input_ids": [list(input_ids[i]) for i in idx]}, return_tensors="pt")
        batch = {k: v.to(device) for k, v in batch.items() if k in ("input_ids", "attention_mask")}
        h = encoder(**batch).last_hidden_state  # (b, t, hidden)
        m = batch["attention_mask"].bool()
        if pool:
            states[idx, 0] = masked_mean(h, m).half().cpu()
            mask[idx, 0] = True
        else:
            states[idx, : h.shape[1]] = h.half().cpu()
            mask[idx, : h.shape[1]] = m.cpu()
    return TokenCache(states, mask, time.perf_counter() - start, sum(lengths))


# ----------------------------------------------------------------------------------------------- training on a cache
@dataclass
class HeadRun:
    """What ``train_head`` returns: the trained head, accuracy/F1 on the eval cache, history, time, params."""

    head: Head
    metrics: dict[str, float]
    history: list[dict[str, float]] = field(default_factory=list)
    seconds: float = 0.0
    params: int = 0


@torch.no_grad()
def predict(head: Head, states: torch.Tensor, mask: torch.Tensor, batch_size: int = 256, device=None) -> torch.Tensor:
    """Predicted class ids (n,) of ``head`` on cached ``states`` / ``mask`` (batched, eval mode)."""
    device = device or next(head.parameters()).device
    head.eval()
    order = torch.argsort(mask.sum(1), stable=True)  # similar lengths together: little padding per batch
    preds = torch.empty(states.shape[0], dtype=torch.long)
    for idx in order.split(batch_size):
        m = mask[idx]
        width = int(m.sum(1).max())  # trim the batch to its longest row
        s = states[idx, :width].to(device=device, dtype=torch.float32)
        preds[idx] = head(s, m[:, :width].to(device)).argmax(-1).cpu()
    return preds


def _length_grouped_batches(lengths: torch.Tensor, batch_size: int, gen: torch.Generator, mega: int = 50):
    """Shuffled batches of similar-length rows: shuffle, sort within mega-batches by length, shuffle the batches."""
    perm = torch.randperm(len(lengths), generator=gen)
    batches = []
    for chunk in perm.split(batch_size * mega):
        chunk = chunk[torch.argsort(lengths[chunk], descending=True, stable=True)]
        batches += list(chunk.split(batch_size))
    return [batches[i] for i in torch.randperm(len(batches), generator=gen).tolist()]


def train_head(head: Head, train: TokenCache, train_labels, eval: TokenCache, eval_labels, *, epochs: int = 3,
               batch_size: int = 32, learning_rate: float = 1e-3, weight_decay: float = 0.01, seed: int = 0,
               device=None, progress: bool = True, desc: str = "") -> HeadRun:
    """Train ``head`` alone on cached (frozen) encoder states with AdamW + linear decay; evaluate each epoch.

    The minimal loop of the frozen regime: the encoder never runs here, so many heads and seeds are cheap.
    Batches group rows of similar length (less padding, fewer LSTM steps), in a seeded random order.
    """
    from tqdm.auto import tqdm
    from transformers import get_linear_schedule_with_warmup

    from .evaluation import classification_metrics

    y_train, y_eval = torch.as_tensor(list(train_labels)), torch.as_tensor(list(eval_labels))
    if len(y_train) != len(train):
        raise ValueError(f"train_labels: {len(y_train)} labels for {len(train)} cached rows")
    if len(y_eval) != len(eval):
        raise ValueError(f"eval_labels: {len(y_eval)} labels for {len(eval)} cached rows")
    if epochs < 1 or batch_size < 1:
        raise ValueError(f"epochs and batch_size must be >= 1, got {epochs} and {batch_size}")
    device = torch.device(device) if device is not None else next(head.parameters()).device
    head.to(device)
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.AdamW(head.parameters(), lr=learning_rate, weight_decay=weight_decay)
    steps = epochs * math.ceil(len(train) / batch_size)
    sched = get_linear_schedule_with_warmup(opt, int(0.06 * steps), steps)
    history, start = [], time.perf_counter()
    bar = tqdm(total=steps, desc=desc or type(head).__name__, leave=False, disable=not progress)
    for epoch in range(1, epochs + 1):
        head.train()
        total = 0.0
        for idx in _length_grouped_batches(train.mask.sum(1), batch_size, gen):
            m = train.mask[idx]
            width = int(m.sum(1).max())
            s = train.states[idx, :width].to(device=device, dtype=torch.float32)
            loss = nn.functional.cross_entropy(head(s, m[:, :width].to(device)), y_train[idx].to(device))
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
            bar.update()
        metrics = classification_metrics(y_eval.numpy(), predict(head, eval.states, eval.mask, device=device).numpy())
        history.append({"epoch": epoch, "train_loss": total / len(train), "eval_accuracy": metrics["accuracy"]})
    bar.close()
    params = sum(p.numel() for p in head.parameters())
    return HeadRun(head, {"accuracy": metrics["accuracy"], "f1": metrics["f1"]}, history,
                   time.perf_counter() - start, params)


# ----------------------------------------------------------------------------------------------- long documents
@dataclass
class Chunks:
    """A document split into overlapping windows: ``input_ids`` / ``attention_mask`` (n_docs, max_chunks, chunk_len)."""

    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    n_chunks: torch.Tensor  # (n_docs,) chunks kept per document
    n_tokens: torch.Tensor  # (n_docs,) word-piece tokens per document (before chunking)

    @property
    def chunk_mask(self) -> torch.Tensor:
        """(n_docs, max_chunks) True where a chunk exists."""
        return self.attention_mask[:, :, 0].bool()


def chunk_documents(tokenizer, texts: Sequence[str], chunk_len: int = 128, overlap: int = 32,
                    max_chunks: int = 8) -> Chunks:
    """Split each text into windows of ``chunk_len`` tokens ([CLS] ... [SEP]) overlapping by ``overlap`` tokens.

    Uses the fast tokenizer's own windowing (``return_overflowing_tokens`` + ``stride``). A document with more than
    ``max_chunks`` windows keeps its first ``max_chunks - 1`` and its last one (head + tail, as for truncation).
    """
    if isinstance(texts, str) or len(texts) == 0:
        raise ValueError("texts must be a non-empty list of strings")
    if chunk_len < 8:
        raise ValueError(f"chunk_len must be >= 8 tokens, got {chunk_len}")
    if not 0 <= overlap < chunk_len - 2:
        raise ValueError(f"overlap must be in [0, chunk_len - 2), got {overlap}")
    if max_chunks < 1:
        raise ValueError(f"max_chunks must be >= 1, got {max_chunks}")
    enc = tokenizer(list(texts), truncation=True, max_length=chunk_len, stride=overlap,
                    return_overflowing_tokens=True, padding="max_length")
    per_doc: list[list[int]] = [[] for _ in texts]
    for row, doc in enumerate(enc["overflow_to_sample_mapping"]):
        per_doc[doc].append(row)
    ids = torch.full((len(texts), max_chunks, chunk_len), tokenizer.pad_token_id, dtype=torch.long)
    att = torch.zeros((len(texts), max_chunks, chunk_len), dtype=torch.long)
    n_chunks = torch.zeros(len(texts), dtype=torch.long)
    for doc, rows in enumerate(per_doc):
        if len(rows) > max_chunks:
            rows = rows[: max_chunks - 1] + rows[-1:]
        for c, row in enumerate(rows):
            ids[doc, c] = torch.tensor(enc["input_ids"][row])
            att[doc, c] = torch.tensor(enc["attention_mask"][row])
        n_chunks[doc] = len(rows)
    n_tokens = torch.tensor([len(x) for x in tokenizer(list(texts), add_special_tokens=False)["input_ids"]])
    return Chunks(ids, att, n_chunks, n_tokens)


class HierarchicalChunkModel(nn.Module):
    """Encode each chunk, mean-pool it to one vector, then a document head (e.g. ``bilstm``) over the chunk vectors.

    ``forward(input_ids, attention_mask)`` with shapes (batch, max_chunks, chunk_len) -> logits (batch, num_labels).
    Missing chunks (all-zero mask) are skipped by the encoder and masked in the document head.
    """

    def __init__(self, encoder: nn.Module, doc_head: Head, freeze_encoder: bool = True):
        super().__init__()
        self.body = EncoderWithHead(encoder, doc_head, freeze_encoder)

    @property
    def doc_head(self) -> Head:
        return self.body.head

    def chunk_vectors(self, input_ids, attention_mask) -> tuple[torch.Tensor, torch.Tensor]:
        """(batch, max_chunks, hidden) mean-pooled chunk vectors and the (batch, max_chunks) chunk mask."""
        if input_ids.dim() != 3 or attention_mask.shape != input_ids.shape:
            raise ValueError(f"input_ids and attention_mask must be (batch, max_chunks, chunk_len), got "
                             f"{tuple(input_ids.shape)} and {tuple(attention_mask.shape)}")
        b, c, L = input_ids.shape
        chunk_mask = attention_mask[:, :, 0].bool()  # (batch, max_chunks)
        flat_ids, flat_att = input_ids[chunk_mask], attention_mask[chunk_mask]  # (n_real_chunks, chunk_len)
        h = self.body.encode(flat_ids, flat_att)  # (n_real_chunks, chunk_len, hidden)
        vecs = h.new_zeros(b, c, h.shape[-1])
        vecs[chunk_mask] = masked_mean(h, flat_att.bool())
        return vecs, chunk_mask

    def forward(self, input_ids, attention_mask, **_ignored) -> torch.Tensor:
        vecs, chunk_mask = self.chunk_vectors(input_ids, attention_mask)
        return self.doc_head(vecs, chunk_mask)


@torch.no_grad()
def encode_chunks(encoder, chunks: Chunks, batch_size: int = 64, device=None, desc: str = "encoding chunks") -> TokenCache:
    """Frozen encoding of every real chunk once: a ``TokenCache`` of chunk vectors (n_docs, max_chunks, hidden)."""
    from tqdm.auto import tqdm

    device = device or next(encoder.parameters()).device
    encoder.eval()
    cm = chunks.chunk_mask
    flat_ids, flat_att = chunks.input_ids[cm], chunks.attention_mask[cm]
    lengths = flat_att.sum(1)
    order = torch.argsort(lengths)
    out = torch.zeros(flat_ids.shape[0], encoder.config.hidden_size)
    start = time.perf_counter()
    for b in tqdm(range(0, len(order), batch_size), desc=desc, leave=False):
        idx = order[b:b + batch_size]
        width = int(lengths[idx].max())
        ids, att = flat_ids[idx, :width].to(device), flat_att[idx, :width].to(device)
        out[idx] = masked_mean(encoder(input_ids=ids, attention_mask=att).last_hidden_state, att.bool()).float().cpu()
    vecs = torch.zeros(*cm.shape, encoder.config.hidden_size, dtype=torch.float16)
    vecs[cm] = out.half()
    return TokenCache(vecs, cm.clone(), time.perf_counter() - start, int(lengths.sum()))


def head_tail_ids(tokenizer, texts: Sequence[str], max_length: int = 512, head_tokens: int = 128) -> list[list[int]]:
    """Head+tail truncation (Sun et al. 2019): the first ``head_tokens`` and the last ``max_length - 2 - head_tokens``
    word pieces of each text, between [CLS] and [SEP]. Texts that fit are kept whole."""
    from .training import tokenize_truncated

    return tokenize_truncated(tokenizer, texts, max_length, "head+tail", head_tokens)["input_ids"]
