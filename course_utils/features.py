"""The frozen regime (chapter 05): run the encoder once, cache its states, then train many heads on the cache.

>>> train_cache = encode_texts(encoder, tokenizer, train_texts, max_length=64)    # states (n, seq_len, hidden)
>>> run = train_head(make_head("bilstm", 384, 2), train_cache, y_train, val_cache, y_val, epochs=3)
>>> run.metrics, run.history                                                       # accuracy/F1, one row per epoch
>>> pred = predict(run.head, val_cache.states, val_cache.mask)                      # (n,) class ids

The encoder never runs during ``train_head``, so many heads and seeds cost seconds instead of hours.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Sequence

import torch
from torch import nn

from .arguments import check_texts
from .batching import LengthGroupedBatchSampler, sorted_batches
from .embeddings import masked_mean
from .heads import Head
from .models import count_parameters
from .optim import weight_decay_groups


@dataclass
class TokenCache:
    """Frozen-encoder outputs, computed once: ``states`` (n, seq_len, hidden) float16, ``mask`` (n, seq_len) bool."""

    states: torch.Tensor
    mask: torch.Tensor
    seconds: float = 0.0
    n_tokens: int = 0

    def __len__(self) -> int:
        return self.states.shape[0]

    def batch(self, idx, device) -> tuple[torch.Tensor, torch.Tensor]:
        """Rows ``idx`` as float32 states and their mask on ``device``, trimmed to the longest of these rows."""
        mask = self.mask[idx]
        width = int(mask.sum(1).max())
        return self.states[idx, :width].to(device=device, dtype=torch.float32), mask[:, :width].to(device)


def encode_texts(encoder, tokenizer, texts: Sequence[str], max_length: int, batch_size: int = 64,
                 device=None, desc: str = "encoding", pool: str | None = None) -> TokenCache:
    """Run the frozen ``encoder`` once over ``texts`` (truncated to ``max_length`` tokens); see ``encode_ids``."""
    texts = check_texts(texts, allow_blank=True)
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
    width = 1 if pool else max(lengths)
    states = torch.zeros(len(input_ids), width, encoder.config.hidden_size, dtype=torch.float16)
    mask = torch.zeros(len(input_ids), width, dtype=torch.bool)
    start = time.perf_counter()
    for idx in tqdm(sorted_batches(lengths, batch_size), desc=desc, leave=False):
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
    """Predicted class ids (n,) of ``head`` on cached ``states`` / ``mask`` (batched by length, eval mode)."""
    device = device or next(head.parameters()).device
    head.eval()
    cache = TokenCache(states, mask)
    preds = torch.empty(states.shape[0], dtype=torch.long)
    for idx in sorted_batches(mask.sum(1).tolist(), batch_size):
        preds[idx] = head(*cache.batch(idx, device)).argmax(-1).cpu()
    return preds


def _train_epoch(head: Head, cache: TokenCache, y: torch.Tensor, sampler, opt, sched, device, bar) -> float:
    """One pass over ``cache`` in the sampler's batches; returns the mean training loss."""
    head.train()
    total = 0.0
    for idx in sampler:
        loss = nn.functional.cross_entropy(head(*cache.batch(idx, device)), y[idx].to(device))
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        total += loss.item() * len(idx)
        bar.update()
    return total / len(cache)


def train_head(head: Head, train: TokenCache, train_labels, eval: TokenCache, eval_labels, *, epochs: int = 3,
               batch_size: int = 32, learning_rate: float = 1e-3, weight_decay: float = 0.01, seed: int = 0,
               device=None, progress: bool = True, desc: str = "") -> HeadRun:
    """Train ``head`` alone on cached (frozen) encoder states with AdamW + linear decay; evaluate each epoch.

    The minimal loop of the frozen regime: the encoder never runs here, so many heads and seeds are cheap.
    Batches group rows of similar length (less padding, fewer LSTM steps), in a seeded random order.
    Weight decay spares biases and LayerNorm (``optim.decays``), as in ``fine_tune``.
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
    sampler = LengthGroupedBatchSampler(train.mask.sum(1).tolist(), batch_size, seed=seed)
    opt = torch.optim.AdamW(weight_decay_groups(head, weight_decay), lr=learning_rate)
    steps = epochs * math.ceil(len(train) / batch_size)
    sched = get_linear_schedule_with_warmup(opt, int(0.06 * steps), steps)
    history, start = [], time.perf_counter()
    bar = tqdm(total=steps, desc=desc or type(head).__name__, leave=False, disable=not progress)
    for epoch in range(1, epochs + 1):
        train_loss = _train_epoch(head, train, y_train, sampler, opt, sched, device, bar)
        metrics = classification_metrics(y_eval.numpy(), predict(head, eval.states, eval.mask, device=device).numpy())
        history.append({"epoch": epoch, "train_loss": train_loss, "eval_accuracy": metrics["accuracy"]})
    bar.close()
    return HeadRun(head, {"accuracy": metrics["accuracy"], "f1": metrics["f1"]}, history,
                   time.perf_counter() - start, count_parameters(head))
