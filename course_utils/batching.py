"""Batches of similar-length rows, so that little of each padded batch is padding (chapters 04 and 05).

>>> sampler = LengthGroupedBatchSampler(lengths, batch_size=32, seed=0)   # training: shuffled, new order each epoch
>>> for idx in sorted_batches(lengths, batch_size=64): ...              # inference: one sort by length

Inference puts every result back with ``out[idx] = ...``, so the caller gets its rows in their own order.
"""
from __future__ import annotations

import math
from typing import Iterator, Sequence

import numpy as np

from .arguments import check_int


class LengthGroupedBatchSampler:
    """Batches of indices of similar length, in a random order that changes every epoch (seeded).

    Shuffle all rows, cut them into "mega-batches" of ``mega * batch_size`` rows, sort each mega-batch by length
    (longest first), cut it into batches, then shuffle the order of the batches. Each batch is then padded to
    a length close to that of its rows, while every epoch still sees a different mix of rows.
    Only the last batch can be smaller than ``batch_size`` (Accelerate's sharding over several processes relies
    on that: a short batch in the middle would drop rows). The order depends only on ``seed`` and the epoch, so
    every process computes the same order and takes its own share.
    ``shuffle=False``: one global sort by length, longest first (for inference: order does not matter there).
    """

    def __init__(self, lengths: Sequence[int], batch_size: int, seed: int = 0, shuffle: bool = True,
                 group_by_length: bool = True, mega: int = 50):
        check_int("batch_size", batch_size, 1)
        check_int("mega", mega, 1)
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
        step = bs * self.mega  # a multiple of bs: only the last chunk can leave a short batch
        for start in range(0, n, step):
            chunk = order[start:start + step]
            chunk = chunk[np.argsort(-self.lengths[chunk], kind="stable")]
            batches += [chunk[i:i + bs].tolist() for i in range(0, len(chunk), bs)]
        shuffled = [batches[i] for i in rng.permutation(len(batches))]
        return [b for b in shuffled if len(b) == bs] + [b for b in shuffled if len(b) < bs]  # the short one last

    def __iter__(self) -> Iterator[list[int]]:
        batches = self.batches()
        if self.shuffle:
            self.epoch += 1  # next epoch, next order (also when nobody calls set_epoch)
        return iter(batches)


def sorted_batches(lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    """Row indices in batches of ``batch_size``, longest rows first: the batching of every inference loop."""
    return LengthGroupedBatchSampler(lengths, batch_size, shuffle=False).batches()
