"""A reusable fine-tuning helper built on Accelerate: one call from a checkpoint and two tables to a trained model.

>>> res = fine_tune("encoder", train_df, eval_df)                      # DataFrames or datasets.Dataset
>>> res.metrics            # {"accuracy": ..., "f1": ... (macro), "loss": ..., "n": ...} on the eval set
>>> res.history            # one dict per epoch: epoch, train_loss, eval_loss, accuracy, f1, seconds
>>> res.predict(["a gripping , funny film"])                            # -> np.array([1])

What it does (chapter 04 writes the same loop by hand first):
- tokenizes without padding and pads each batch to its own longest row (``DataCollatorWithPadding``);
- ``group_by_length``: batches of similar-length rows (shuffled chunks sorted by length), so little padding;
- AdamW (no weight decay on biases and LayerNorm; torch's fused kernel on a CPU or GPU, as ``Trainer``'s default
  ``adamw_torch_fused``: one pass over the weights instead of one per tensor, about 5x faster a step on a CPU),
  linear warmup then linear decay, gradient clipping at 1.0;
- Accelerate: device placement, gradient accumulation, mixed precision (``"auto"``: bf16 (or fp16) on a GPU; on a
  CPU bf16 only if a quick matmul probe shows it is faster here, since bf16 autocast on a CPU without bf16 units
  is several times slower), and several processes (one per GPU, or several CPU processes) when run with
  ``accelerate launch`` or ``torchrun`` (see ``scripts/accelerate_finetune.py``): each process trains on its own
  share of every epoch's batches, and evaluation gathers every eval row exactly once.

Bad arguments raise one ``ValueError`` (a wrong value) or ``TypeError`` (a wrong type; it is also a ``ValueError``,
so older ``except ValueError`` code keeps working) that names the argument, what is wrong and how to fix it.
The same seed gives the same weights and losses, in one process or across processes.

``model=`` takes any ``torch.nn.Module`` whose ``forward(input_ids, attention_mask[, token_type_ids])`` returns
logits ``(batch, num_labels)`` or an object with ``.logits``; the loss is always cross-entropy computed here.
"""
from __future__ import annotations

import functools
import math
import numbers
import os
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from .arguments import (
    ArgumentTypeError,
    check_choice,
    check_int,
    check_label_ids,
    check_number,
    check_table,
    check_texts,
)
from .batching import LengthGroupedBatchSampler, sorted_batches
from .optim import weight_decay_groups
from .profiles import Profile, get_profile
from .seeding import set_seed
from .truncation import check_truncation, tokenize_truncated

__all__ = ["FineTuneResult", "fine_tune", "predict_logits", "resolve_mixed_precision", "process_state",
           "ArgumentTypeError", "MIN_MAX_LENGTH"]

MIXED_PRECISION = ("auto", "no", "fp16", "bf16")
MIN_MAX_LENGTH = 8  # [CLS] + [SEP] + at least 6 word pieces: below that a text is reduced to (almost) nothing
# model types whose position ids start after the padding index (RoBERTa's convention): usable length is smaller
_POSITION_OFFSET_TYPES = ("roberta", "xlm-roberta", "camembert", "data2vec-text", "roberta-prelayernorm", "xmod",
                          "longformer", "ibert", "mpnet")


# ---- argument checks ------------------------------------------------------------------------------------------

def _num_labels(train: Any, labels: list[int], label_column: str) -> int:
    """K for the new head: from train's labels, which must be 0..K-1, every class present, K >= 2."""
    k = check_label_ids(labels, label_column, "train", min_classes=2)
    declared = getattr(getattr(train, "features", {}).get(label_column), "num_classes", None)  # a ClassLabel
    return max(k, int(declared)) if declared else k


def _check_eval_labels(labels: list[int], num_labels: int, label_column: str) -> None:
    """Eval labels must be classes the head has; eval may lack some (small eval sets often miss a rare class)."""
    bad = sorted({y for y in labels if not 0 <= y < num_labels})
    if bad:
        raise ValueError(f"eval: label {bad[0]} in {label_column!r} does not occur in train (train has labels "
                         f"0..{num_labels - 1}): the model cannot predict it; number the classes the same way in "
                         "both tables, or drop those eval rows")


def _model_length_limit(model: Any, tokenizer: Any) -> tuple[int | None, str]:
    """The longest input the model (position embeddings) and tokenizer (``model_max_length``) accept, and why."""
    limits: list[tuple[int, str]] = []
    modules = model.modules() if hasattr(model, "modules") else [model]
    for module in modules:
        cfg = getattr(module, "config", None)
        positions = getattr(cfg, "max_position_embeddings", None)
        if isinstance(positions, numbers.Integral) and positions > 0:
            offset = 0
            if getattr(cfg, "model_type", "") in _POSITION_OFFSET_TYPES:
                offset = int(getattr(cfg, "pad_token_id", 1) or 0) + 1  # position ids start after the padding index
            limits.append((int(positions) - offset, f"config.max_position_embeddings={positions}"
                                                    + (f" minus {offset} reserved positions" if offset else "")))
            break
    tok_max = getattr(tokenizer, "model_max_length", None)
    if isinstance(tok_max, numbers.Integral) and 0 < tok_max < 100_000:  # unset is a huge sentinel
        limits.append((int(tok_max), f"tokenizer.model_max_length={tok_max}"))
    if not limits:
        return None, ""
    return min(v for v, _ in limits), " and ".join(why for _, why in limits)


def _check_max_length(max_length: Any, model: Any = None, tokenizer: Any = None) -> int:
    hint = (f"[CLS] and [SEP] take 2 of the max_length tokens, so below {MIN_MAX_LENGTH} almost nothing of a text "
            "is left to classify; use e.g. 64 for sentences, 128-512 for long documents")
    max_length = check_int("max_length", max_length, MIN_MAX_LENGTH, hint=hint)
    if model is not None:
        limit, why = _model_length_limit(model, tokenizer)
        if limit is not None and max_length > limit:
            raise ValueError(f"max_length={max_length} is longer than this model can read ({why}): "
                             f"use max_length <= {limit} (cut longer texts with truncation='head+tail')")
    return max_length


def _check_model(model: Any, name: str = "model") -> None:
    import torch

    if not isinstance(model, torch.nn.Module):
        raise ArgumentTypeError(f"{name} must be a torch.nn.Module (e.g. from cu.load_classifier), got "
                                f"{type(model).__name__}")
    if next(model.parameters(), None) is None:
        raise ValueError(f"{name} has no parameters: nothing to train or run")


def _check_tokenizer(tokenizer: Any) -> None:
    if tokenizer is None or not callable(tokenizer) or not hasattr(tokenizer, "pad"):
        raise ArgumentTypeError(f"tokenizer must be a Hugging Face tokenizer (e.g. cu.load_tokenizer('encoder')), "
                                f"got {type(tokenizer).__name__}")


# ---- results, batching, tokenizing ----------------------------------------------------------------------------

@dataclass
class FineTuneResult:
    """What ``fine_tune`` returns. ``metrics`` and ``eval_predictions`` are on the eval set, at ``best_epoch`` (the
    epoch whose weights ``model`` holds: the best eval accuracy with ``keep_best=True``, else the last)."""

    metrics: dict[str, float]
    model: Any
    tokenizer: Any
    history: list[dict[str, float]]
    seconds: float  # wall time of the whole call (tokenizing, training, evaluating)
    params: int  # parameters of the model (all, trainable or not)
    train_seconds: float = 0.0  # time spent in training steps only
    train_examples_per_second: float = 0.0  # all processes together
    step_losses: list[float] = field(default_factory=list)  # training loss of every optimizer step (all processes)
    max_length: int = 128
    num_labels: int = 2
    checkpoint: str = ""  # a path-free name of the starting checkpoint
    eval_predictions: np.ndarray | None = None  # predicted label ids on the eval set, in its row order
    truncation: str = "head"  # how texts longer than max_length were cut ("head", "tail", "head+tail")
    head_tokens: int = 128  # for "head+tail": word pieces kept from the start
    mixed_precision: str = "no"  # what really ran ("auto" resolved; "fp16" on a CPU runs as "no")
    processes: int = 1  # training processes (GPUs, or CPU processes under torchrun)
    train_rows_per_process: list[int] = field(default_factory=list)  # rows each process trained on (all epochs)
    pooling: str = "cls"  # what the head reads: "cls" ([CLS] + pooler), "mean", "max", or "model's own" (model=)
    best_epoch: int = 0  # the epoch whose weights the model holds (keep_best: the best eval accuracy)

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


class _Encoded:
    """A list-backed torch dataset of tokenized rows (dicts of lists), labels and row numbers (``idx``)."""

    def __init__(self, encodings: dict[str, list], labels: Sequence[int] | None = None):
        self.enc, self.labels = encodings, labels
        self.keys = [k for k in ("input_ids", "attention_mask", "token_type_ids") if k in encodings]

    def __len__(self) -> int:
        return len(self.enc["input_ids"])

    def __getitem__(self, i: int) -> dict[str, Any]:
        row = {k: self.enc[k][i] for k in self.keys}
        row["idx"] = int(i)  # lets evaluation put gathered predictions back in row order
        if self.labels is not None:
            row["labels"] = int(self.labels[i])
        return row

    def lengths(self) -> list[int]:
        return [len(x) for x in self.enc["input_ids"]]


def _forward_logits(model, batch: dict[str, Any], num_labels: int | None = None):
    """Run ``model`` on a batch (without labels) and return its logits ``(batch, num_labels)``."""
    inputs = {k: batch[k] for k in ("input_ids", "attention_mask", "token_type_ids") if k in batch}
    out = model(**inputs)
    logits = out if hasattr(out, "dim") else getattr(out, "logits", None)
    if logits is None or not hasattr(logits, "dim"):
        raise ValueError("model: its forward must return logits (a Tensor) or an object with .logits")
    rows = inputs["input_ids"].shape[0]
    if logits.dim() != 2 or logits.shape[0] != rows or (num_labels is not None and logits.shape[1] != num_labels):
        want = f"({rows}, {num_labels})" if num_labels is not None else f"({rows}, num_labels)"
        raise ValueError(f"model: its forward returned logits of shape {tuple(logits.shape)}, expected {want} "
                         "(one row per text, one column per class of train): give it a head with that many outputs")
    return logits


def predict_logits(model, tokenizer, texts: Sequence[str], max_length: int = 128, batch_size: int = 64,
                   truncation: str = "head", head_tokens: int = 128, mixed_precision: str = "no") -> np.ndarray:
    """Logits ``(n, num_labels)`` of ``model`` for ``texts`` (batched by length, returned in input order).
    ``truncation``/``head_tokens``: see ``tokenize_truncated``; ``mixed_precision``: ``"no"`` (fp32), ``"bf16"``,
    ``"fp16"`` or ``"auto"`` (see ``resolve_mixed_precision``): autocast for the forward passes (``"fp16"`` runs
    in fp32 on a CPU, as in training)."""
    from contextlib import nullcontext

    import torch
    from transformers import DataCollatorWithPadding

    texts = check_texts(texts)
    _check_model(model)
    _check_tokenizer(tokenizer)
    batch_size = check_int("batch_size", batch_size, 1)
    max_length = _check_max_length(max_length, model, tokenizer)
    check_truncation(truncation, head_tokens, max_length)
    device = next(model.parameters()).device
    precision = _effective_precision(resolve_mixed_precision(mixed_precision, device=device), device)
    data = _Encoded(tokenize_truncated(tokenizer, texts, max_length, truncation, head_tokens))
    collate = DataCollatorWithPadding(tokenizer)
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)
    autocast = torch.autocast(device.type, dtype=dtype) if dtype is not None else nullcontext()
    was_training = model.training
    model.eval()
    out: list[tuple[list[int], np.ndarray]] = []
    try:
        with torch.inference_mode(), autocast:
            for idx in sorted_batches(data.lengths(), batch_size):
                batch = {k: v.to(device) for k, v in collate([data[i] for i in idx]).items()}
                out.append((idx, _forward_logits(model, batch).float().cpu().numpy()))
    finally:
        model.train(was_training)
    logits = np.zeros((len(texts), out[0][1].shape[-1]), dtype=np.float32)
    for idx, lg in out:
        logits[idx] = lg
    return logits


# ---- precision and processes ----------------------------------------------------------------------------------

@functools.cache  # the probe runs once per process
def _cpu_bf16_speedup(n: int = 512, repeats: int = 15) -> float:
    """How many times faster a bf16 matmul is than an fp32 one on this CPU (measured, ~0.2 s, cached).

    Times fp32 and bf16 matmuls alternately and compares the fastest of each, so that other programs busy on the
    machine slow both alike instead of flipping the answer. Draws its matrices from its own generator: it must not
    advance the global (seeded) torch RNG, or the first ``fine_tune`` of a process would start from other weights
    than the next one with the same seed.
    """
    import torch

    gen = torch.Generator().manual_seed(0)
    a32, b32 = torch.randn(n, n, generator=gen), torch.randn(n, n, generator=gen)
    a16, b16 = a32.to(torch.bfloat16), b32.to(torch.bfloat16)
    best = {torch.float32: math.inf, torch.bfloat16: math.inf}
    a32 @ b32, a16 @ b16  # warm-up
    for _ in range(repeats):
        for dtype, (a, b) in ((torch.float32, (a32, b32)), (torch.bfloat16, (a16, b16))):
            start = time.perf_counter()
            a @ b
            best[dtype] = min(best[dtype], time.perf_counter() - start)
    return best[torch.float32] / max(best[torch.bfloat16], 1e-9)


def resolve_mixed_precision(mixed_precision: str = "auto", min_cpu_speedup: float = 1.3, device: Any = None) -> str:
    """What ``"auto"`` means on this machine: ``"bf16"`` on a GPU that supports it (else ``"fp16"``); on a CPU,
    ``"bf16"`` only if a bf16 matmul measures at least ``min_cpu_speedup`` times faster than fp32 here (CPUs with
    AVX512-BF16 or AMX), else ``"no"`` (elsewhere bf16 autocast is several times *slower*). Other values pass through.
    ``device``: where the model runs (default: the best device here).
    """
    import torch

    check_choice("mixed_precision", mixed_precision, MIXED_PRECISION)
    if mixed_precision != "auto":
        return mixed_precision
    kind = getattr(device, "type", device)
    if kind in (None, "cuda") and torch.cuda.is_available():
        return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    if kind in (None, "mps") and torch.backends.mps.is_available():
        return "no"
    if kind not in (None, "cpu"):
        return "no"
    return "bf16" if _cpu_bf16_speedup() >= min_cpu_speedup else "no"


def _effective_precision(precision: str, device: Any, warn: bool = True) -> str:
    """The precision that really runs on ``device``: fp16 autocast needs a GPU (Accelerate trains in fp32 on a
    CPU even when asked for fp16), so on a CPU ``"fp16"`` becomes ``"no"`` with a warning."""
    import torch

    kind = getattr(device, "type", device)
    if precision == "fp16" and kind == "cpu":
        if warn:
            warnings.warn("mixed_precision='fp16' needs a GPU: on a CPU this runs in fp32, so it is recorded as "
                          "mixed_precision='no'. For mixed precision on a CPU use 'bf16' (or 'auto', which picks "
                          "bf16 where this CPU runs it faster).", UserWarning, stacklevel=3)
        return "no"
    if precision == "bf16" and kind == "cuda" and not torch.cuda.is_bf16_supported():
        raise ValueError("mixed_precision='bf16' is not supported by this GPU: use 'fp16' or 'auto'")
    return precision


def _launched_processes() -> int:
    try:
        return int(os.environ.get("WORLD_SIZE", "1"))
    except ValueError:
        return 1


def _use_cpu() -> bool:
    """Whether Accelerate must run on the CPU: asked for (``ACCELERATE_USE_CPU``), or launched as several
    processes (``torchrun``) on a machine without a GPU: then gloo on CPU is the only way to run them together."""
    import torch
    from accelerate.utils import parse_flag_from_env

    if parse_flag_from_env("ACCELERATE_USE_CPU"):
        return True
    return _launched_processes() > 1 and not torch.cuda.is_available()


def process_state():
    """Accelerate's ``PartialState`` for this launch (processes, rank, device), created the way ``fine_tune``
    needs it. Use this rather than a bare ``PartialState()`` before ``fine_tune``: a bare one ignores
    ``ACCELERATE_USE_CPU``, so under ``torchrun`` on CPUs it sees one process and every rank trains alone."""
    import torch
    from accelerate.state import AcceleratorState, PartialState

    if PartialState._shared_state and _launched_processes() > 1 and PartialState().num_processes == 1 \
            and not torch.distributed.is_initialized():
        AcceleratorState._reset_state(reset_partial_state=True)  # created too early, without the CPU flag: redo
    return PartialState(cpu=_use_cpu())


def _new_accelerator(mixed_precision: str, grad_accum_steps: int):
    """An ``Accelerator`` on this launch's processes; resets Accelerate's per-run state (never the process group)
    so that several calls with other settings work (notebooks, several runs in one script)."""
    from accelerate import Accelerator
    from accelerate.state import AcceleratorState, GradientState

    process_state()
    AcceleratorState._reset_state(reset_partial_state=False)
    GradientState._reset_state()
    return Accelerator(mixed_precision=mixed_precision, gradient_accumulation_steps=grad_accum_steps, cpu=_use_cpu())


# ---- fine_tune ------------------------------------------------------------------------------------------------

@dataclass
class _Settings:
    """Checked arguments of one ``fine_tune`` call."""

    epochs: int
    batch_size: int
    eval_batch_size: int
    learning_rate: float
    max_length: int
    weight_decay: float
    warmup_ratio: float
    grad_accum_steps: int
    mixed_precision: str
    truncation: str
    head_tokens: int
    group_by_length: bool
    seed: int
    eval_every_epoch: bool
    keep_best: bool
    progress: bool


def _settings(profile: Any, param_groups: Any, **kw: Any) -> tuple[Profile, _Settings]:
    """The profile, and the arguments with ``None`` filled from it, each checked (one clear error for the first
    bad one)."""
    if profile is not None and not isinstance(profile, (Profile, str)):
        raise ArgumentTypeError(f"profile must be a Profile, a profile name or None, got {type(profile).__name__}")
    if param_groups is not None and not callable(param_groups):
        raise ArgumentTypeError("param_groups must be a callable(model) -> list of param-group dicts, got "
                                f"{type(param_groups).__name__}")
    prof = profile if isinstance(profile, Profile) else get_profile(profile)
    for name in ("epochs", "batch_size", "learning_rate", "max_length"):
        if kw[name] is None:
            kw[name] = getattr(prof, name)
    kw["eval_batch_size"] = prof.eval_batch_size
    for name in ("epochs", "batch_size", "grad_accum_steps"):
        check_int(name, kw[name], 1)
    _check_max_length(kw["max_length"])  # the model's own limit is checked once it is loaded
    check_number("learning_rate", kw["learning_rate"], 0, 1, closed_low=False)
    check_number("warmup_ratio", kw["warmup_ratio"], 0, 1)
    check_number("weight_decay", kw["weight_decay"], 0, math.inf)
    check_choice("mixed_precision", kw["mixed_precision"], MIXED_PRECISION)
    check_truncation(kw["truncation"], kw["head_tokens"], kw["max_length"])
    check_int("seed", kw["seed"], 0, 2**32 - 1)
    for name in ("group_by_length", "eval_every_epoch", "keep_best", "progress"):
        if not isinstance(kw[name], (bool, np.bool_)):
            raise ArgumentTypeError(f"{name} must be True or False, got {type(kw[name]).__name__} {kw[name]!r}")
    return prof, _Settings(**kw)


def _check_tables(train: Any, eval: Any, text_column: Any, label_column: Any):  # noqa: A002
    """(texts, labels) of train and of eval, and K, the number of classes (from train)."""
    train_rows = check_table(train, text_column, label_column, "train")
    eval_rows = check_table(eval, text_column, label_column, "eval")
    num_labels = _num_labels(train, train_rows[1], label_column)
    _check_eval_labels(eval_rows[1], num_labels, label_column)
    return train_rows, eval_rows, num_labels


def _encode(tokenizer, rows: tuple[list[str], list[int]], s: _Settings) -> _Encoded:
    """Tokenized (truncated as ``s`` says, not padded) rows with their labels."""
    texts, labels = rows
    return _Encoded(tokenize_truncated(tokenizer, texts, s.max_length, s.truncation, s.head_tokens), labels)


def _check_pooling(pooling: Any, model: Any) -> None:
    from .models import POOLINGS

    if pooling is None:
        return
    if model is not None:
        raise ArgumentTypeError("pooling= applies when fine_tune builds the model; with model= your model decides "
                                "how it pools. Fix: drop pooling=, or drop model=")
    if pooling not in POOLINGS:
        raise ValueError(f"pooling must be one of {POOLINGS} or None (the checkpoint's own), got {pooling!r}")


def _load_model(model_name_or_path: Any, model: Any, tokenizer: Any, num_labels: int, prof: Profile, seed: int,
                pooling: str | None = None):
    """The model, its tokenizer, a path-free name and the pooling it uses; the new head's weights depend on
    ``seed``. ``pooling=None``: the checkpoint's own (``checkpoint_pooling``), printed with the reason."""
    from .heads import EncoderWithHead, make_head
    from .models import checkpoint_pooling, load_classifier, load_encoder, load_tokenizer, resolve_checkpoint

    _check_pooling(pooling, model)
    if model is not None:
        _check_model(model)
        if tokenizer is None:
            raise ValueError("tokenizer: pass the tokenizer that matches your model= (it cannot be guessed), "
                             "e.g. tokenizer=cu.load_tokenizer('encoder')")
        _check_tokenizer(tokenizer)
        return model, tokenizer, type(model).__name__, "model's own"
    if not isinstance(model_name_or_path, str) or not model_name_or_path:
        raise ArgumentTypeError(f"model_name_or_path must be a role ('encoder'), a hub id or a local folder (a "
                                f"string), got {type(model_name_or_path).__name__} {model_name_or_path!r}")
    if tokenizer is not None:
        _check_tokenizer(tokenizer)
    ckpt = resolve_checkpoint(model_name_or_path, prof)
    tokenizer = tokenizer or load_tokenizer(ckpt, prof)
    if pooling is None:
        pooling, why = checkpoint_pooling(ckpt, prof)
        print(f"[fine_tune] pooling {pooling!r}: {why}. Pass pooling='cls' or 'mean' to choose.")
    if pooling == "cls":  # BERT's recipe: [CLS] -> pooler -> linear, a transformers model (save_pretrained, pipeline)
        set_seed(seed)
        return load_classifier(ckpt, num_labels=num_labels, profile=prof), tokenizer, ckpt.name, pooling
    encoder = load_encoder(ckpt, prof)
    if getattr(encoder, "pooler", None) is not None:  # the head does not read it: drop it (unused weights break DDP)
        encoder.pooler = None
    set_seed(seed)
    return EncoderWithHead(encoder, make_head(pooling, encoder.config.hidden_size, num_labels)), tokenizer, \
        ckpt.name, pooling


@dataclass
class _Run:
    """Everything one training run needs, after ``accelerator.prepare``."""

    accelerator: Any
    model: Any
    optimizer: Any
    scheduler: Any
    train_dl: Any
    eval_dl: Any
    train_sampler: LengthGroupedBatchSampler
    n_eval: int
    num_labels: int
    grad_accum_steps: int
    total_updates: int


FUSED_ADAMW_DEVICES = ("cpu", "cuda")  # torch's fused AdamW kernel runs there (the same update, one kernel)


def _prepare_run(model, tokenizer, train_data: _Encoded, eval_data: _Encoded, num_labels: int, s: _Settings,
                 param_groups: Callable | None) -> _Run:
    import torch
    from torch.utils.data import DataLoader
    from transformers import DataCollatorWithPadding, get_linear_schedule_with_warmup

    state = process_state()
    precision = _effective_precision(resolve_mixed_precision(s.mixed_precision, device=state.device), state.device,
                                     warn=state.is_main_process)
    if state.num_processes > 1:  # "auto" is measured on each process: all must use the main process's choice
        from accelerate.utils import broadcast_object_list

        precision = broadcast_object_list([precision], from_process=0)[0]
    accelerator = _new_accelerator(precision, s.grad_accum_steps)
    collate = DataCollatorWithPadding(tokenizer)
    train_sampler = LengthGroupedBatchSampler(train_data.lengths(), s.batch_size, seed=s.seed,
                                              group_by_length=s.group_by_length)
    eval_sampler = LengthGroupedBatchSampler(eval_data.lengths(), s.eval_batch_size, shuffle=False)
    train_dl = DataLoader(train_data, batch_sampler=train_sampler, collate_fn=collate)  # num_workers=0: no
    eval_dl = DataLoader(eval_data, batch_sampler=eval_sampler, collate_fn=collate)     # unseeded worker RNG
    groups = param_groups(model) if param_groups is not None else weight_decay_groups(model, s.weight_decay)
    optimizer = torch.optim.AdamW(groups, lr=s.learning_rate, weight_decay=s.weight_decay,
                                  fused=state.device.type in FUSED_ADAMW_DEVICES or None)
    model, optimizer, train_dl, eval_dl = accelerator.prepare(model, optimizer, train_dl, eval_dl)
    total_updates = math.ceil(len(train_dl) / s.grad_accum_steps) * s.epochs  # len: this process's share
    scheduler = get_linear_schedule_with_warmup(optimizer, int(s.warmup_ratio * total_updates), total_updates)
    return _Run(accelerator, model, optimizer, scheduler, train_dl, eval_dl, train_sampler, len(eval_data),
                num_labels, s.grad_accum_steps, total_updates)


def _train_epoch(run: _Run, epoch: int, bar) -> tuple[float, int, list[float]]:
    """One pass over this process's share of the batches: (loss sum over rows, rows, loss of each update)."""
    import torch

    acc, model, optimizer = run.accelerator, run.model, run.optimizer
    run.train_sampler.set_epoch(epoch - 1)  # same order on every process; a new one each epoch
    loss_sum, n_rows, acc_loss, step_losses = 0.0, 0, 0.0, []
    model.train()
    for batch in run.train_dl:
        with acc.accumulate(model):
            logits = _forward_logits(model, batch, run.num_labels)
            loss = torch.nn.functional.cross_entropy(logits.float(), batch["labels"])
            acc.backward(loss)
            if acc.sync_gradients:
                acc.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            if acc.sync_gradients and not optimizer.step_was_skipped:
                run.scheduler.step()
            optimizer.zero_grad()
        rows, loss_value = int(batch["labels"].shape[0]), float(loss.detach())
        loss_sum += loss_value * rows
        n_rows += rows
        acc_loss += loss_value / run.grad_accum_steps
        if acc.sync_gradients:
            step_losses.append(acc_loss)
            acc_loss = 0.0
            bar.update(1)
            bar.set_postfix(epoch=epoch, loss=f"{step_losses[-1]:.3f}")
    return loss_sum, n_rows, step_losses


def _across_processes(run: _Run, loss_sum: float, n_rows: int, step_losses: list[float]):
    """Epoch totals over all processes: (mean train loss, rows per process, mean loss of each update)."""
    import torch

    acc = run.accelerator
    if acc.num_processes == 1:
        return loss_sum / max(1, n_rows), [n_rows], step_losses
    dev = acc.device
    totals = acc.gather(torch.tensor([[loss_sum, float(n_rows)]], dtype=torch.float64, device=dev)).cpu()
    steps = acc.gather(torch.tensor([step_losses], dtype=torch.float64, device=dev)).cpu()  # same count everywhere
    rows = [int(r) for r in totals[:, 1].tolist()]
    return float(totals[:, 0].sum()) / max(1, sum(rows)), rows, steps.mean(0).tolist()


def _evaluate(run: _Run) -> tuple[dict[str, float], np.ndarray]:
    """Metrics on the whole eval set and its predictions in row order, gathered from all processes."""
    import torch

    from .evaluation import classification_metrics

    acc, model = run.accelerator, run.model
    model.eval()
    idx_parts, pred_parts, label_parts, loss_parts = [], [], [], []
    # iterating a DataLoader draws a seed from torch's global generator: fork it, so that evaluating (every epoch
    # or not) leaves the training run's later dropout masks and batch order unchanged
    devices = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
    with torch.random.fork_rng(devices=devices), torch.inference_mode():
        for batch in run.eval_dl:
            logits = _forward_logits(model, batch, run.num_labels).float()
            loss = torch.nn.functional.cross_entropy(logits, batch["labels"], reduction="none")  # (batch,)
            idx, pred, y, loss = acc.gather_for_metrics((batch["idx"], logits.argmax(-1), batch["labels"], loss))
            idx_parts.append(idx.cpu().numpy())
            pred_parts.append(pred.cpu().numpy())
            label_parts.append(y.cpu().numpy())
            loss_parts.append(loss.float().cpu().numpy())
    model.train()
    idx = np.concatenate(idx_parts)
    rows, first = np.unique(idx, return_index=True)  # every row once, even if a process padded its last batch
    if len(rows) != run.n_eval:
        raise RuntimeError(f"evaluation gathered {len(rows)} distinct rows of {run.n_eval}: a bug in the sharding")
    pred, y, loss = (np.concatenate(p)[first] for p in (pred_parts, label_parts, loss_parts))
    m = classification_metrics(y, pred)
    m["loss"] = float(loss.mean())
    out = np.empty(run.n_eval, dtype=pred.dtype)
    out[rows] = pred
    return m, out


def _state_copy(run: _Run) -> dict[str, Any]:
    """A CPU copy of the model's weights (to restore the best epoch's)."""
    state = run.accelerator.unwrap_model(run.model).state_dict()
    return {k: v.detach().to("cpu", copy=True) for k, v in state.items()}


def _train(run: _Run, s: _Settings) -> dict[str, Any]:
    """The epochs: train, (evaluate), record. Returns history, metrics, predictions, step losses and timings."""
    from tqdm.auto import tqdm

    acc = run.accelerator
    history, step_losses, metrics, eval_pred = [], [], {}, None
    best: dict[str, Any] = {"epoch": 0, "accuracy": -1.0}
    rows_per_process = [0] * acc.num_processes
    train_seconds, seen = 0.0, 0
    bar = tqdm(total=run.total_updates, desc="fine-tuning", disable=not s.progress or not acc.is_local_main_process)
    set_seed(s.seed)  # dropout masks: the same whatever ran in this process before
    for epoch in range(1, s.epochs + 1):
        t_epoch = time.perf_counter()
        loss_sum, n_rows, losses = _train_epoch(run, epoch, bar)
        train_seconds += time.perf_counter() - t_epoch
        train_loss, rows, losses = _across_processes(run, loss_sum, n_rows, losses)
        rows_per_process = [a + b for a, b in zip(rows_per_process, rows)]
        seen += sum(rows)
        step_losses += losses
        row = {"epoch": epoch, "train_loss": train_loss}
        if s.eval_every_epoch or epoch == s.epochs:
            metrics, eval_pred = _evaluate(run)
            row.update(eval_loss=metrics["loss"], accuracy=metrics["accuracy"], f1=metrics["f1"])
            if s.keep_best and metrics["accuracy"] > best["accuracy"] and epoch < s.epochs:
                best = {"epoch": epoch, "accuracy": metrics["accuracy"], "metrics": metrics, "pred": eval_pred,
                        "state": _state_copy(run)}
        row["seconds"] = time.perf_counter() - t_epoch
        history.append(row)
    bar.close()
    best_epoch = s.epochs
    if s.keep_best and best["epoch"] and best["accuracy"] > metrics["accuracy"]:  # an earlier epoch was better
        acc.unwrap_model(run.model).load_state_dict(best["state"])
        metrics, eval_pred, best_epoch = best["metrics"], best["pred"], best["epoch"]
    return dict(history=history, step_losses=step_losses, metrics=metrics, eval_predictions=eval_pred,
                best_epoch=best_epoch,
                train_seconds=train_seconds, train_examples_per_second=seen / max(train_seconds, 1e-9),
                train_rows_per_process=rows_per_process)


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
    keep_best: bool = True,
    pooling: str | None = None,
    progress: bool = True,
    profile: Profile | str | None = None,
) -> FineTuneResult:
    """Fine-tune a sequence classifier on ``train`` and evaluate it on ``eval``.

    model_name_or_path: a role (``"encoder"``), a hub id or a local folder (``cu.resolve_checkpoint``); a new
        classification head with K outputs is put on it (K = number of classes in ``train``, at least 2).
    train, eval: ``datasets.Dataset`` or pandas ``DataFrame`` with ``text_column`` (non-empty strings) and
        ``label_column`` (integers 0..K-1; train must have every class, eval may lack some).
    model / tokenizer: bring your own ``torch.nn.Module`` (then ``tokenizer`` is required); see the module doc.
    epochs, batch_size, learning_rate, max_length: ``None`` takes the active profile's value. ``max_length`` is
        at least ``MIN_MAX_LENGTH`` (8) and at most what the model reads (its position embeddings).
    batch_size is per device and per step; the effective batch is ``batch_size * grad_accum_steps * processes``.
    param_groups: ``callable(model) -> list of optimizer param-group dicts`` (e.g. a smaller lr for the encoder).
    mixed_precision: ``"auto"`` (``resolve_mixed_precision``: bf16/fp16 on a GPU, bf16 on a CPU only where it
        measures faster, else none), ``"no"``, ``"fp16"`` (GPU only: on a CPU it runs, and is recorded, as "no")
        or ``"bf16"``. ``result.mixed_precision`` says which ran.
    truncation, head_tokens: how texts longer than ``max_length`` are cut: ``"head"`` (default), ``"tail"`` or
        ``"head+tail"`` (first ``head_tokens`` + last word pieces; for long reviews). See ``tokenize_truncated``.
    seed: the same seed gives the same weights, losses and metrics (on the same machine and process count).
    keep_best: after training, keep the weights of the epoch with the best accuracy on ``eval`` (model selection:
        ``eval`` is then a dev split, so report a separate test split, e.g. ``result.predict(test_texts)``).
    pooling: what the new head reads. ``None`` (default): the checkpoint's own, printed with the reason
        (``cu.models.checkpoint_pooling``: a sentence-transformers checkpoint's ``1_Pooling/config.json``, e.g.
        mean for all-MiniLM-L6-v2; BERT's ``[CLS]`` + pooler otherwise). ``"cls"`` builds a transformers
        ``AutoModelForSequenceClassification`` (``save_pretrained``/``pipeline`` work); ``"mean"``/``"max"`` a
        ``course_utils.heads.EncoderWithHead``.
    Returns a ``FineTuneResult`` (metrics on ``eval`` at ``best_epoch``: accuracy, macro f1, loss, n).
    """
    t_start = time.perf_counter()
    prof, s = _settings(profile, param_groups, epochs=epochs, batch_size=batch_size, learning_rate=learning_rate,
                        max_length=max_length, weight_decay=weight_decay, warmup_ratio=warmup_ratio,
                        grad_accum_steps=grad_accum_steps, mixed_precision=mixed_precision, truncation=truncation,
                        head_tokens=head_tokens, group_by_length=group_by_length, seed=seed,
                        eval_every_epoch=eval_every_epoch, keep_best=keep_best, progress=progress)
    train_rows, eval_rows, num_labels = _check_tables(train, eval, text_column, label_column)
    resolve_mixed_precision(s.mixed_precision)  # run the CPU probe (if any) before seeding; it is cached
    model, tokenizer, ckpt_name, pooling = _load_model(model_name_or_path, model, tokenizer, num_labels, prof, s.seed,
                                                       pooling)
    _check_max_length(s.max_length, model, tokenizer)
    run = _prepare_run(model, tokenizer, _encode(tokenizer, train_rows, s), _encode(tokenizer, eval_rows, s),
                       num_labels, s, param_groups)
    return _result(run, _train(run, s), tokenizer, s, num_labels, ckpt_name, t_start, pooling)


def _result(run: _Run, out: dict[str, Any], tokenizer, s: _Settings, num_labels: int, ckpt_name: str,
            t_start: float, pooling: str) -> FineTuneResult:
    """The trained model, unwrapped from Accelerate, and everything ``fine_tune`` measured."""
    from .models import count_parameters

    # keep_fp32_wrapper=False: give back a plain module whose forward does not autocast by itself (a model that
    # silently stays in bf16 breaks int8 quantisation and fp32 comparisons); predict() autocasts explicitly.
    model = run.accelerator.unwrap_model(run.model, keep_fp32_wrapper=False)
    model.eval()
    return FineTuneResult(
        model=model, tokenizer=tokenizer, seconds=time.perf_counter() - t_start, params=count_parameters(model),
        max_length=s.max_length, num_labels=num_labels, checkpoint=ckpt_name, truncation=s.truncation,
        head_tokens=s.head_tokens, mixed_precision=run.accelerator.mixed_precision,
        processes=run.accelerator.num_processes, pooling=pooling, **out,
    )
