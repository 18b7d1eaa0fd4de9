"""A reusable fine-tuning helper built on Accelerate: one call from a checkpoint and two tables to a trained model.

>>> res = fine_tune("encoder", train_df, eval_df)                      # DataFrames or datasets.Dataset
>>> res.metrics            # {"accuracy": ..., "f1": ... (macro), "loss": ..., "n": ...} on the eval set
>>> res.history            # one dict per epoch: epoch, train_loss, eval_loss, accuracy, f1, seconds
>>> res.predict(["a gripping , funny film"])                            # -> np.array([1])

What it does (chapter 04 writes the same loop by hand first):
- tokenizes without padding and pads each batch to its own longest row (``DataCollatorWithPadding``);
- ``group_by_length``: batches of similar-length rows (shuffled chunks sorted by length), so little padding;
- AdamW (no weight decay on biases and LayerNorm), linear warmup then linear decay, gradient clipping at 1.0;
- Accelerate: device placement, gradient accumulation, mixed precision (``"auto"``: bf16 (or fp16) on a GPU; on a
  CPU bf16 only if a quick matmul probe shows it is faster here, since bf16 autocast on a CPU without bf16 units
  is several times slower), and multi-GPU when run with
  ``accelerate launch`` (see ``scripts/accelerate_finetune.py``).

``model=`` takes any ``torch.nn.Module`` whose ``forward(input_ids, attention_mask[, token_type_ids])`` returns
logits ``(batch, num_labels)`` or an object with ``.logits``; the loss is always cross-entropy computed here.
"""
from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from .profiles import Profile, get_profile

__all__ = ["FineTuneResult", "LengthGroupedBatchSampler", "fine_tune", "predict_logits", "tokenize_truncated",
           "resolve_mixed_precision"]

MIXED_PRECISION = ("auto", "no", "fp16", "bf16")
TRUNCATION = ("head", "tail", "head+tail")


@dataclass
class FineTuneResult:
    """What ``fine_tune`` returns. ``metrics`` are on the eval set after the last epoch."""

    metrics: dict[str, float]
    model: Any
    tokenizer: Any
    history: list[dict[str, float]]
    seconds: float  # wall time of the whole call (tokenizing, training, evaluating)
    params: int  # parameters of the model (all, trainable or not)
    train_seconds: float = 0.0  # time spent in training steps only
    train_examples_per_second: float = 0.0
    step_losses: list[float] = field(default_factory=list)  # training loss of every optimizer step
    max_length: int = 128
    num_labels: int = 2
    checkpoint: str = ""  # a path-free name of the starting checkpoint
    eval_predictions: np.ndarray | None = None  # predicted label ids on the eval set, in its row order
    truncation: str = "head"  # how texts longer than max_length were cut ("head", "tail", "head+tail")
    head_tokens: int = 128  # for "head+tail": word pieces kept from the start
    mixed_precision: str = "no"  # what "auto" resolved to on this machine

    def predict_logits(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Logits ``(n, num_labels)`` for a list of texts, truncated as in training."""
        return predict_logits(self.model, self.tokenizer, texts, max_length=self.max_length, batch_size=batch_size,
                              truncation=self.truncation, head_tokens=self.head_tokens,
                              mixed_precision=self.mixed_precision)

    def predict(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Predicted label ids ``(n,)`` for a list of texts."""
        return self.predict_logits(texts, batch_size).argmax(-1)

    def predict_proba(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Class probabilities ``(n, num_labels)`` for a list of texts."""
        import torch

        logits = self.predict_logits(texts, batch_size)
        return torch.softmax(torch.from_numpy(logits), dim=-1).numpy()


class LengthGroupedBatchSampler:
    """Batches of indices of similar length, in a random order that changes every epoch (seeded).

    Shuffle all rows, cut them into "mega-batches" of ``mega * batch_size`` rows, sort each mega-batch by length
    (longest first), cut it into batches, then shuffle the order of the batches. Each batch is then padded to
    a length close to that of its rows, while every epoch still sees a different mix of rows.
    ``shuffle=False``: one global sort by length (for evaluation: order does not matter there).
    """

    def __init__(self, lengths: Sequence[int], batch_size: int, seed: int = 0, shuffle: bool = True,
                 group_by_length: bool = True, mega: int = 50):
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.lengths = np.asarray(lengths)
        self.batch_size, self.seed, self.shuffle, self.group, self.mega = batch_size, seed, shuffle, group_by_length, mega
        self.epoch = 0

    def __len__(self) -> int:
        return math.ceil(len(self.lengths) / self.batch_size)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def batches(self) -> list[list[int]]:
        n, bs = len(self.lengths), self.batch_size
        rng = np.random.default_rng([self.seed, self.epoch])
        if not self.shuffle:
            order = np.argsort(-self.lengths, kind="stable") if self.group else np.arange(n)
            return [order[i:i + bs].tolist() for i in range(0, n, bs)]
        order = rng.permutation(n)
        if not self.group:
            return [order[i:i + bs].tolist() for i in range(0, n, bs)]
        batches = []
        step = bs * self.mega
        for start in range(0, n, step):
            chunk = order[start:start + step]
            chunk = chunk[np.argsort(-self.lengths[chunk], kind="stable")]
            batches += [chunk[i:i + bs].tolist() for i in range(0, len(chunk), bs)]
        return [batches[i] for i in rng.permutation(len(batches))]

    def __iter__(self) -> Iterator[list[int]]:
        batches = self.batches()
        if self.shuffle:
            self.epoch += 1  # next epoch, next order (also when nobody calls set_epoch)
        return iter(batches)


class _Encoded:
    """A list-backed torch dataset of tokenized rows (dicts of lists) and labels."""

    def __init__(self, encodings: dict[str, list], labels: Sequence[int] | None = None):
        self.enc, self.labels = encodings, labels
        self.keys = [k for k in ("input_ids", "attention_mask", "token_type_ids") if k in encodings]

    def __len__(self) -> int:
        return len(self.enc["input_ids"])

    def __getitem__(self, i: int) -> dict[str, Any]:
        row = {k: self.enc[k][i] for k in self.keys}
        if self.labels is not None:
            row["labels"] = int(self.labels[i])
        return row

    def lengths(self) -> list[int]:
        return [len(x) for x in self.enc["input_ids"]]


def _check_texts(texts: Any, name: str = "texts") -> list[str]:
    if isinstance(texts, str):
        raise ValueError(f"{name} must be a list of strings, got a single string: wrap it in a list")
    texts = list(texts)
    if not texts:
        raise ValueError(f"{name} is empty")
    bad = [i for i, t in enumerate(texts) if not isinstance(t, str) or not t.strip()]
    if bad:
        raise ValueError(f"{name}: {len(bad)} item(s) are empty or not strings (first at position {bad[0]})")
    return texts


def tokenize_truncated(tokenizer, texts: Sequence[str], max_length: int, truncation: str = "head",
                       head_tokens: int = 128) -> dict[str, list[list[int]]]:
    """Tokenize ``texts`` (no padding) so that each has at most ``max_length`` tokens including [CLS] and [SEP].

    truncation: ``"head"`` keeps the first word pieces (the tokenizer's default), ``"tail"`` the last ones, and
    ``"head+tail"`` the first ``head_tokens`` plus the last ``max_length - 2 - head_tokens`` (Sun et al. 2019).
    Texts that fit are kept whole whatever the strategy. Returns ``input_ids``, ``attention_mask`` (and
    ``token_type_ids`` where the tokenizer uses them), lists of lists.
    """
    if truncation not in TRUNCATION:
        raise ValueError(f"truncation must be one of {TRUNCATION}, got {truncation!r}")
    if truncation == "head":
        return dict(tokenizer(list(texts), truncation=True, max_length=max_length))
    budget = max_length - 2
    if truncation == "head+tail" and not 0 < head_tokens < budget:
        raise ValueError(f"head_tokens must be in (0, max_length - 2) = (0, {budget}), got {head_tokens}")
    head = 0 if truncation == "tail" else head_tokens
    cls, sep = tokenizer.cls_token_id, tokenizer.sep_token_id
    if cls is None or sep is None:
        raise ValueError(f"truncation={truncation!r} needs a tokenizer with [CLS]/[SEP]-style tokens; "
                         f"{type(tokenizer).__name__} has none: use truncation='head'")
    ids = []
    for x in tokenizer(list(texts), add_special_tokens=False, verbose=False)["input_ids"]:  # no "too long" warning
        if len(x) > budget:
            x = x[:head] + x[len(x) - (budget - head):]
        ids.append([cls, *x, sep])  # (<= max_length,) as the tokenizer would wrap one sequence
    enc = {"input_ids": ids, "attention_mask": [[1] * len(x) for x in ids]}
    if "token_type_ids" in tokenizer.model_input_names:
        enc["token_type_ids"] = [[0] * len(x) for x in ids]
    return enc


def _forward_logits(model, batch: dict[str, Any]):
    """Run ``model`` on a batch (without labels) and return its logits ``(batch, num_labels)``."""
    inputs = {k: batch[k] for k in ("input_ids", "attention_mask", "token_type_ids") if k in batch}
    out = model(**inputs)
    logits = out if hasattr(out, "dim") else getattr(out, "logits", None)
    if logits is None:
        raise ValueError("model: its forward must return logits (a Tensor) or an object with .logits")
    return logits


def predict_logits(model, tokenizer, texts: Sequence[str], max_length: int = 128, batch_size: int = 64,
                   truncation: str = "head", head_tokens: int = 128, mixed_precision: str = "no") -> np.ndarray:
    """Logits ``(n, num_labels)`` of ``model`` for ``texts`` (batched by length, returned in input order).
    ``truncation``/``head_tokens``: see ``tokenize_truncated``; ``mixed_precision``: ``"no"`` (fp32), ``"bf16"``,
    ``"fp16"`` or ``"auto"`` (see ``resolve_mixed_precision``): autocast for the forward passes."""
    from contextlib import nullcontext

    import torch
    from transformers import DataCollatorWithPadding

    texts = _check_texts(texts)
    enc = tokenize_truncated(tokenizer, texts, max_length, truncation, head_tokens)
    data = _Encoded(enc)
    sampler = LengthGroupedBatchSampler(data.lengths(), batch_size, shuffle=False)
    collate = DataCollatorWithPadding(tokenizer)
    device = next(model.parameters()).device
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(resolve_mixed_precision(mixed_precision))
    autocast = torch.autocast(device.type, dtype=dtype) if dtype is not None else nullcontext()
    was_training = model.training
    model.eval()
    out: list[tuple[list[int], np.ndarray]] = []
    with torch.inference_mode(), autocast:
        for idx in sampler.batches():
            batch = {k: v.to(device) for k, v in collate([data[i] for i in idx]).items()}
            out.append((idx, _forward_logits(model, batch).float().cpu().numpy()))
    model.train(was_training)
    logits = np.zeros((len(texts), out[0][1].shape[-1]), dtype=np.float32)
    for idx, lg in out:
        logits[idx] = lg
    return logits


def _default_param_groups(model, weight_decay: float) -> list[dict[str, Any]]:
    """Weight decay on weight matrices only: never on biases or LayerNorm (as in BERT's original recipe)."""
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        (no_decay if p.ndim < 2 or "norm" in name.lower() else decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


@functools.cache  # the probe runs once per process
def _cpu_bf16_speedup(n: int = 512, repeats: int = 10) -> float:
    """How many times faster a bf16 matmul is than an fp32 one on this CPU (measured, ~0.1 s, cached)."""
    import torch

    def seconds(dtype) -> float:
        a, b = torch.randn(n, n).to(dtype), torch.randn(n, n).to(dtype)
        a @ b  # warm-up
        start = time.perf_counter()
        for _ in range(repeats):
            a @ b
        return time.perf_counter() - start

    return seconds(torch.float32) / max(seconds(torch.bfloat16), 1e-9)


def resolve_mixed_precision(mixed_precision: str = "auto", min_cpu_speedup: float = 1.3) -> str:
    """What ``"auto"`` means on this machine: ``"bf16"`` on a GPU that supports it (else ``"fp16"``); on a CPU,
    ``"bf16"`` only if a bf16 matmul measures at least ``min_cpu_speedup`` times faster than fp32 here (CPUs with
    AVX512-BF16 or AMX), else ``"no"`` (elsewhere bf16 autocast is several times *slower*). Other values pass through.
    """
    import torch

    if mixed_precision not in MIXED_PRECISION:
        raise ValueError(f"mixed_precision must be one of {MIXED_PRECISION}, got {mixed_precision!r}")
    if mixed_precision != "auto":
        return mixed_precision
    if torch.cuda.is_available():
        return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    if torch.backends.mps.is_available():
        return "no"
    return "bf16" if _cpu_bf16_speedup() >= min_cpu_speedup else "no"


def _new_accelerator(mixed_precision: str, grad_accum_steps: int):
    """An ``Accelerator``; resets Accelerate's process-wide state so that calls with other settings work."""
    from accelerate import Accelerator
    from accelerate.state import AcceleratorState, GradientState, PartialState

    if PartialState._shared_state and PartialState().num_processes == 1:  # notebooks: several runs, one process
        AcceleratorState._reset_state()
        GradientState._reset_state()
    return Accelerator(mixed_precision=mixed_precision, gradient_accumulation_steps=grad_accum_steps)


def fine_tune(
    model_name_or_path: str,
    train: Any,
    eval: Any,  # noqa: A002 - the name the course uses everywhere
    text_column: str = "text",
    label_column: str = "label",
    *,
    model: Any = None,
    tokenizer: Any = None,
    epochs: int | None = None,
    batch_size: int | None = None,
    learning_rate: float | None = None,
    max_length: int | None = None,
    weight_decay: float = 0.01,
    warmup_ratio: float = 0.1,
    grad_accum_steps: int = 1,
    mixed_precision: str = "auto",
    truncation: str = "head",
    head_tokens: int = 128,
    group_by_length: bool = True,
    param_groups: Callable[[Any], list[dict[str, Any]]] | None = None,
    seed: int = 0,
    eval_every_epoch: bool = True,
    progress: bool = True,
    profile: Profile | str | None = None,
) -> FineTuneResult:
    """Fine-tune a sequence classifier on ``train`` and evaluate it on ``eval``.

    model_name_or_path: a role (``"encoder"``), a hub id or a local folder (``cu.resolve_checkpoint``); a new
        classification head with K outputs is put on it (K = number of classes in ``train``).
    train, eval: ``datasets.Dataset`` or pandas ``DataFrame`` with ``text_column`` (non-empty strings) and
        ``label_column`` (integers 0..K-1); checked by ``cu.as_dataset``.
    model / tokenizer: bring your own ``torch.nn.Module`` (then ``tokenizer`` is required); see the module doc.
    epochs, batch_size, learning_rate, max_length: ``None`` takes the active profile's value.
    batch_size is per device and per step; the effective batch is ``batch_size * grad_accum_steps * GPUs``.
    param_groups: ``callable(model) -> list of optimizer param-group dicts`` (e.g. a smaller lr for the encoder).
    mixed_precision: ``"auto"`` (``resolve_mixed_precision``: bf16/fp16 on a GPU, bf16 on a CPU only where it
        measures faster, else none), ``"no"``, ``"fp16"`` or ``"bf16"``. ``result.mixed_precision`` says which ran.
    truncation, head_tokens: how texts longer than ``max_length`` are cut: ``"head"`` (default), ``"tail"`` or
        ``"head+tail"`` (first ``head_tokens`` + last word pieces; for long reviews). See ``tokenize_truncated``.
    Returns a ``FineTuneResult`` (metrics on ``eval``: accuracy, macro f1, loss, n).
    """
    import torch
    from torch.utils.data import DataLoader
    from tqdm.auto import tqdm
    from transformers import DataCollatorWithPadding, get_linear_schedule_with_warmup

    from .data import as_dataset
    from .env import set_seed
    from .evaluation import classification_metrics
    from .models import count_parameters, load_classifier, load_tokenizer, resolve_checkpoint

    t_start = time.perf_counter()
    prof = profile if isinstance(profile, Profile) else get_profile(profile)
    epochs = prof.epochs if epochs is None else epochs
    batch_size = prof.batch_size if batch_size is None else batch_size
    learning_rate = prof.learning_rate if learning_rate is None else learning_rate
    max_length = prof.max_length if max_length is None else max_length
    for name, value in (("epochs", epochs), ("batch_size", batch_size), ("max_length", max_length),
                        ("grad_accum_steps", grad_accum_steps)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if not (isinstance(learning_rate, (int, float)) and 0 < learning_rate < 1):
        raise ValueError(f"learning_rate must be a number in (0, 1), got {learning_rate!r}")
    if not 0 <= warmup_ratio < 1:
        raise ValueError(f"warmup_ratio must be in [0, 1), got {warmup_ratio!r}")
    if weight_decay < 0:
        raise ValueError(f"weight_decay must be >= 0, got {weight_decay!r}")
    if mixed_precision not in MIXED_PRECISION:
        raise ValueError(f"mixed_precision must be one of {MIXED_PRECISION}, got {mixed_precision!r}")
    if truncation not in TRUNCATION:
        raise ValueError(f"truncation must be one of {TRUNCATION}, got {truncation!r}")
    if model is not None and tokenizer is None:
        raise ValueError("tokenizer: pass the tokenizer that matches your model= (it cannot be guessed)")
    if param_groups is not None and not callable(param_groups):
        raise ValueError("param_groups must be a callable(model) -> list of param-group dicts")

    train_ds = as_dataset(train, text_column, label_column, name="train")
    eval_ds = as_dataset(eval, text_column, label_column, name="eval")
    num_labels = train_ds.features[label_column].num_classes
    eval_max = int(max(eval_ds[label_column]))
    if eval_max >= num_labels:
        raise ValueError(f"eval: label {eval_max} does not occur in train (train has labels 0..{num_labels - 1})")

    set_seed(seed)  # the new head's initial weights depend on it
    ckpt_name = type(model).__name__ if model is not None else model_name_or_path
    if model is None:
        ckpt = resolve_checkpoint(model_name_or_path, prof)
        ckpt_name = ckpt.name
        tokenizer = tokenizer or load_tokenizer(ckpt, prof)
        model = load_classifier(ckpt, num_labels=num_labels, profile=prof)

    precision = resolve_mixed_precision(mixed_precision)
    accelerator = _new_accelerator(precision, grad_accum_steps)

    def encode(ds):
        enc = tokenize_truncated(tokenizer, list(ds[text_column]), max_length, truncation, head_tokens)
        return _Encoded(enc, list(ds[label_column]))

    train_data, eval_data = encode(train_ds), encode(eval_ds)
    collate = DataCollatorWithPadding(tokenizer)
    train_sampler = LengthGroupedBatchSampler(train_data.lengths(), batch_size, seed=seed, group_by_length=group_by_length)
    eval_sampler = LengthGroupedBatchSampler(eval_data.lengths(), prof.eval_batch_size, shuffle=False)
    train_dl = DataLoader(train_data, batch_sampler=train_sampler, collate_fn=collate)
    eval_dl = DataLoader(eval_data, batch_sampler=eval_sampler, collate_fn=collate)
    eval_order = np.concatenate([np.asarray(b) for b in eval_sampler.batches()])

    groups = param_groups(model) if param_groups is not None else _default_param_groups(model, weight_decay)
    optimizer = torch.optim.AdamW(groups, lr=learning_rate, weight_decay=weight_decay)
    model, optimizer, train_dl, eval_dl = accelerator.prepare(model, optimizer, train_dl, eval_dl)
    updates_per_epoch = math.ceil(len(train_dl) / grad_accum_steps)
    total_updates = updates_per_epoch * epochs
    scheduler = get_linear_schedule_with_warmup(optimizer, int(warmup_ratio * total_updates), total_updates)

    def evaluate() -> tuple[dict[str, float], np.ndarray]:
        model.eval()
        preds, labels, loss_sum = [], [], 0.0
        with torch.inference_mode():
            for batch in eval_dl:
                logits = _forward_logits(model, batch).float()
                loss = torch.nn.functional.cross_entropy(logits, batch["labels"], reduction="sum")
                logits, y, loss = accelerator.gather_for_metrics((logits, batch["labels"], loss.reshape(1)))
                preds.append(logits.argmax(-1).cpu().numpy())
                labels.append(y.cpu().numpy())
                loss_sum += float(loss.sum())
        model.train()
        p_sorted, y_sorted = np.concatenate(preds), np.concatenate(labels)
        m = classification_metrics(y_sorted, p_sorted)
        m["loss"] = loss_sum / max(1, len(y_sorted))
        pred = np.empty_like(p_sorted)
        pred[eval_order[: len(p_sorted)]] = p_sorted
        return m, pred

    history: list[dict[str, float]] = []
    step_losses: list[float] = []
    train_seconds, seen = 0.0, 0
    metrics: dict[str, float] = {}
    eval_pred = None
    bar = tqdm(total=total_updates, desc="fine-tuning", disable=not progress or not accelerator.is_local_main_process)
    model.train()
    for epoch in range(1, epochs + 1):
        t_epoch = time.perf_counter()
        loss_sum, n_rows, acc_loss = 0.0, 0, 0.0
        for batch in train_dl:
            with accelerator.accumulate(model):
                logits = _forward_logits(model, batch)
                loss = torch.nn.functional.cross_entropy(logits.float(), batch["labels"])
                accelerator.backward(loss)
                if accelerator.sync_gradients:
                    accelerator.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                if accelerator.sync_gradients and not optimizer.step_was_skipped:
                    scheduler.step()
                optimizer.zero_grad()
            rows, loss_value = int(batch["labels"].shape[0]), float(loss.detach())
            loss_sum += loss_value * rows
            n_rows += rows
            acc_loss += loss_value / grad_accum_steps
            if accelerator.sync_gradients:
                step_losses.append(acc_loss)
                acc_loss = 0.0
                bar.update(1)
                bar.set_postfix(epoch=epoch, loss=f"{step_losses[-1]:.3f}")
        epoch_train = time.perf_counter() - t_epoch
        train_seconds += epoch_train
        seen += n_rows * accelerator.num_processes
        row = {"epoch": epoch, "train_loss": loss_sum / max(1, n_rows)}
        if eval_every_epoch or epoch == epochs:
            metrics, eval_pred = evaluate()
            row.update(eval_loss=metrics["loss"], accuracy=metrics["accuracy"], f1=metrics["f1"])
        row["seconds"] = time.perf_counter() - t_epoch
        history.append(row)
    bar.close()

    # keep_fp32_wrapper=False: give back a plain module whose forward does not autocast by itself (a model that
    # silently stays in bf16 breaks int8 quantisation and fp32 comparisons); predict() autocasts explicitly.
    model = accelerator.unwrap_model(model, keep_fp32_wrapper=False)
    model.eval()
    return FineTuneResult(
        metrics=metrics, model=model, tokenizer=tokenizer, history=history,
        seconds=time.perf_counter() - t_start, params=count_parameters(model),
        train_seconds=train_seconds, train_examples_per_second=seen / max(train_seconds, 1e-9),
        step_losses=step_losses, max_length=max_length, num_labels=num_labels, checkpoint=ckpt_name,
        eval_predictions=eval_pred, truncation=truncation, head_tokens=head_tokens, mixed_precision=precision,
    )
