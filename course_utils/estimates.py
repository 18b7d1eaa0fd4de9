"""Estimated run times of the ``gpu`` profile on a Colab T4, derived in the open (no guessed minutes).

Nobody has run the ``gpu`` profile of every chapter on a T4 yet, so its times are *estimates* from a stated cost
model, and every chapter header labels them so. The cost model (each term a stated assumption, none measured):

- training a transformer costs about ``6 x N x T`` FLOPs for ``N`` non-embedding parameters and ``T`` tokens
  (forward 2, backward 4 per parameter and token: Kaplan et al. 2020, *Scaling Laws for Neural Language Models*,
  section 2.1); a forward pass alone costs ``2 x N x T``. Attention's extra ``seq_len``-dependent term is left out
  (under 5 % for bert-base at 512 tokens);
- a T4 peaks at 65 TFLOP/s in fp16 on its tensor cores (NVIDIA T4 datasheet); we ASSUME fine-tuning with
  mixed precision and short, dynamically padded batches reaches 25 % of it (``T4_UTILISATION``);
- every optimizer step or inference batch also costs a fixed ``STEP_OVERHEAD_S`` (kernel launches, Python, the
  data loader): ASSUMED 40 ms for training steps and 10 ms for inference batches;
- work on the CPU (scikit-learn, word2vec, tokenizing, int8 quantisation) is not included.

``T`` comes from the real data: the mean number of WordPiece tokens per text after truncation, measured with the
course tokenizer (``scripts/estimate_gpu_times.py`` measures them and writes ``results/gpu_estimates.json``).
When a chapter does run on a GPU, ``course_utils.env`` records its measured time in the results store.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

T4_PEAK_FLOPS = 65e12  # fp16 tensor-core peak, NVIDIA T4 datasheet
T4_UTILISATION = 0.25  # assumption (see the module docstring)
STEP_OVERHEAD_S = 0.040  # assumption: per training step
INFER_OVERHEAD_S = 0.010  # assumption: per inference batch
TRAIN_FLOPS_PER_PARAM_TOKEN = 6
INFER_FLOPS_PER_PARAM_TOKEN = 2


def non_embedding_params(layers: int, hidden: int, intermediate: int) -> int:
    """Parameters of ``layers`` encoder layers (attention ``4 h^2`` + feed-forward ``2 h f``), biases left out.

    A layer shared across depth (ALBERT) still costs its compute once per use, so count it ``layers`` times.
    """
    for name, value in (("layers", layers), ("hidden", hidden), ("intermediate", intermediate)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return layers * (4 * hidden * hidden + 2 * hidden * intermediate)


BERT_BASE = non_embedding_params(12, 768, 3072)  # ~85M: the gpu profile's encoder (bert-base-uncased)


@dataclass(frozen=True)
class Job:
    """One piece of neural work: ``rows`` texts of ``tokens`` tokens on average, ``passes`` times."""

    what: str
    params: int  # non-embedding parameters that the tokens go through
    rows: int
    tokens: float  # mean tokens per row, after truncation / padding to the batch
    passes: int = 1  # epochs for training, repetitions for inference
    train: bool = True
    batch_size: int = 32

    @property
    def flops(self) -> float:
        per = TRAIN_FLOPS_PER_PARAM_TOKEN if self.train else INFER_FLOPS_PER_PARAM_TOKEN
        return per * self.params * self.rows * self.tokens * self.passes

    @property
    def steps(self) -> int:
        return math.ceil(self.rows / self.batch_size) * self.passes

    @property
    def seconds(self) -> float:
        overhead = STEP_OVERHEAD_S if self.train else INFER_OVERHEAD_S
        return self.flops / (T4_PEAK_FLOPS * T4_UTILISATION) + self.steps * overhead


def train(what, params, rows, tokens, epochs, batch_size=32, eval_rows=0, eval_tokens=0.0) -> list[Job]:
    """A fine-tuning run: training epochs, plus one evaluation pass per epoch when ``eval_rows``."""
    jobs = [Job(what, params, rows, tokens, epochs, True, batch_size)]
    if eval_rows:
        jobs.append(Job(f"{what} (eval)", params, eval_rows, eval_tokens or tokens, epochs, False, 128))
    return jobs


def infer(what, params, rows, tokens, passes=1) -> list[Job]:
    return [Job(what, params, rows, tokens, passes, False, 128)]


def chapter_jobs(chapter: str, stats: dict[str, Any], variant_params: dict[str, int] | None = None) -> list[Job]:
    """The gpu profile's neural work in ``chapter``, from its sizes (``profiles.CHAPTER_SIZES``) and ``stats``.

    ``stats``: rows and mean tokens of the data (``scripts/estimate_gpu_times.py`` measures them):
    ``sst2_train``, ``sst2_val`` (rows); ``sst2_tokens`` (at the gpu max_length); ``imdb_train``, ``imdb_test``;
    ``imdb_tokens`` (at the long window); ``sst2_test``, ``trec_train`` (after the 10% dev split), ``trec_test``,
    ``trec_tokens``; ``imdb_chunk_tokens`` (tokens per review over all chunks, chapter 05).
    ``variant_params``: non-embedding parameters of chapter 06's families (key -> params).
    """
    from .profiles import get_profile

    gpu = get_profile("gpu")
    n_tr, n_va, t_s = stats["sst2_train"], stats["sst2_val"], stats["sst2_tokens"]
    t_i = stats["imdb_tokens"]
    if chapter in ("00", "01", "02"):
        return []  # no transformer training (chapter 02's small BiLSTM/CNN and word2vec are left out)
    if chapter == "03":
        c = gpu.chapter("03")
        tiny = non_embedding_params(2, 128, 512) + 128 * 30522 * 0.15  # + the MLM output layer on masked tokens
        return [Job("tiny BERT MLM pre-training", int(tiny), c["steps"] * c["batch"], 64, 1, True, c["batch"])]
    if chapter == "04":
        c = gpu.chapter("04")
        n3 = c["n_train"] or n_tr
        jobs = []
        for run in ("(a) own loop", "(b) Trainer", "(c) fine_tune"):
            jobs += train(f"SST-2 {run}", BERT_BASE, n3, t_s, c["epochs"], c["batch_size"], n_va)
        jobs += train("SST-2 mean-pooling head (subset)", BERT_BASE, n3, t_s, c["epochs"], c["batch_size"], n_va)
        jobs += train("SST-2 headline (fine_tune defaults)", BERT_BASE, n_tr, t_s, gpu.epochs, gpu.batch_size, n_va)
        jobs += infer("SST-2 test predictions", BERT_BASE, stats["sst2_test"], t_s)
        jobs += infer("frozen features (train + validation)", BERT_BASE, n3 + n_va, t_s)
        for lr in c["sweep_lrs"]:
            jobs += train(f"lr sweep {lr:g}", BERT_BASE, c["n_sweep"], t_s, 1, 16, min(c["n_sweep"], n_va))
        jobs += infer("IMDB truncation study (3 strategies)", BERT_BASE, 2 * c["n_long"], t_i, 3)
        n_imdb = c["imdb_train"] or stats["imdb_train"]
        jobs += train("IMDB fine-tune", BERT_BASE, n_imdb, t_i, c["imdb_epochs"], 16, c["imdb_held"])
        jobs += infer("IMDB predictions (held-out + test)", BERT_BASE, c["imdb_held"] + stats["imdb_test"], t_i)
        n_trec = c["trec_train"] or stats["trec_train"]
        jobs += train("TREC fine-tune (6 classes)", BERT_BASE, n_trec, stats["trec_tokens"], c["trec_epochs"],
                      gpu.batch_size, stats["trec_test"])
        return jobs
    if chapter == "05":
        c = gpu.chapter("05")
        n_frozen = c["frozen_train"] or n_tr
        n_e2e = c["e2e_train"] or n_frozen
        jobs = infer("frozen states (train + validation)", BERT_BASE, n_frozen + n_va, t_s)
        runs = len(c["e2e_heads"]) * c["e2e_seeds"]
        jobs += [Job(f"end-to-end: {runs} runs (heads x seeds)", BERT_BASE, n_e2e * runs, t_s, c["e2e_epochs"], True,
                     gpu.batch_size)]
        jobs += infer("end-to-end evaluation", BERT_BASE, n_va * runs, t_s, c["e2e_epochs"])
        n_docs = c["imdb_train"] + c["imdb_test"]
        jobs += infer("IMDB chunks", BERT_BASE, n_docs, stats["imdb_chunk_tokens"])
        jobs += infer("IMDB head+tail", BERT_BASE, n_docs, t_i)
        return jobs
    if chapter == "06":
        c = gpu.chapter("06")
        n_ft = c["ft_train_rows"] or n_tr
        jobs = train("pre-trained encoder", BERT_BASE, n_ft, t_s, c["ft_epochs"], gpu.batch_size, n_va)
        jobs += train("same encoder, random init", BERT_BASE, n_ft, t_s, c["ft_epochs"], gpu.batch_size, n_va)
        for key, params in (variant_params or {}).items():
            jobs += train(f"family fine-tune: {key}", params, n_ft, t_s, c["ft_epochs"], gpu.batch_size, n_va)
        return jobs
    raise ValueError(f"chapter must be one of '00'..'06', got {chapter!r}")


def estimate_minutes(jobs: list[Job]) -> float:
    """Estimated T4 minutes of ``jobs`` (see the module docstring for the cost model)."""
    return sum(j.seconds for j in jobs) / 60
