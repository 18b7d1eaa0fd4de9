"""fine_tune behaviours behind the reliability fixes: an eval set may lack a class, fp16 on a CPU is recorded as what
really ran, and the length-grouped sampler shards cleanly over several processes (as Accelerate splits it)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from course_utils.batching import LengthGroupedBatchSampler
from course_utils.training import fine_tune
from training_helpers import tiny_model  # noqa: E402


WORDS = {0: ["awful", "dull", "boring"], 1: ["great", "lovely", "superb"], 2: ["okay", "average", "fine"]}


def table(classes, n_per_class: int = 4) -> pd.DataFrame:
    rows = [(f"the film was {WORDS[c][i % 3]}", c) for c in classes for i in range(n_per_class)]
    return pd.DataFrame(rows, columns=["text", "label"])


def test_eval_set_may_lack_a_class_of_train(tokenizer):
    # a small eval set often has no row of a rare class: the head still gets every class of train
    res = fine_tune("encoder", table([0, 1, 2]), table([0, 1]), model=tiny_model(3), tokenizer=tokenizer, epochs=1,
                    batch_size=4, learning_rate=1e-3, max_length=8, mixed_precision="no", progress=False)
    assert res.num_labels == 3 and res.max_length == 8
    assert res.metrics["n"] == 8 and res.eval_predictions.shape == (8,)
    assert res.predict_proba(["the film was okay"]).shape == (1, 3)


@pytest.mark.skipif(torch.cuda.is_available(), reason="fp16 is real on a GPU")
def test_fp16_on_a_cpu_is_recorded_as_what_really_runs(tokenizer):
    with pytest.warns(UserWarning, match=r"mixed_precision='fp16' needs a GPU.*'no'"):
        res = fine_tune("encoder", table([0, 1]), table([0, 1]), model=tiny_model(), tokenizer=tokenizer, epochs=1,
                        batch_size=4, learning_rate=1e-3, max_length=16, mixed_precision="fp16", progress=False)
    assert res.mixed_precision == "no"  # Accelerate trained in fp32: the result says so
    seen = []
    hook = res.model.bert.encoder.layer[0].output.dense.register_forward_hook(lambda m, i, o: seen.append(o.dtype))
    res.predict(["the film was great"])  # and predict no longer autocasts to fp16
    hook.remove()
    assert seen == [torch.float32]


def shard(sampler: LengthGroupedBatchSampler, processes: int, rank: int, epoch: int) -> list[list[int]]:
    """The batches Accelerate gives process `rank` (prepare() wraps a batch_sampler in BatchSamplerShard)."""
    from accelerate.data_loader import BatchSamplerShard

    sampler.set_epoch(epoch)
    return list(BatchSamplerShard(sampler, num_processes=processes, process_index=rank))


@pytest.mark.parametrize("n, batch_size, processes, mega", [(64, 8, 2, 50), (70, 8, 2, 50), (503, 16, 3, 4),
                                                              (37, 4, 2, 2)])
def test_length_grouped_batches_shard_over_processes_without_losing_rows(n, batch_size, processes, mega):
    lengths = np.random.default_rng(0).integers(3, 60, size=n)
    for epoch in range(2):
        # every process builds its own sampler from the same seed (as in fine_tune under torchrun)
        per_rank = [shard(LengthGroupedBatchSampler(lengths, batch_size, seed=7, mega=mega), processes, r, epoch)
                    for r in range(processes)]
        assert len({len(b) for b in per_rank}) == 1  # the same number of steps everywhere (DDP needs it)
        assert all(len(batch) == batch_size for b in per_rank for batch in b)  # even batches
        seen = [i for b in per_rank for batch in b for i in batch]
        assert set(seen) == set(range(n))  # every row trained on ...
        assert len(seen) - n < processes * batch_size  # ... and only the last round is padded (with repeats)
    a = LengthGroupedBatchSampler(lengths, batch_size, seed=7, mega=mega)
    first = a.batches()
    a.set_epoch(1)
    assert a.batches() != first  # a new order each epoch, computed the same way on every process


def test_only_the_last_batch_is_short():
    lengths = np.random.default_rng(1).integers(3, 60, size=203)
    s = LengthGroupedBatchSampler(lengths, 16, seed=0, mega=3)
    for epoch in range(3):
        s.set_epoch(epoch)
        sizes = [len(b) for b in s.batches()]
        assert sizes[:-1] == [16] * (len(sizes) - 1) and sizes[-1] == 203 % 16


def _captured_runs(monkeypatch) -> list:
    """Every run fine_tune prepares (its optimizer is what these tests read)."""
    from course_utils import training

    runs, original = [], training._prepare_run

    def prepare(*args, **kwargs):
        runs.append(original(*args, **kwargs))
        return runs[-1]

    monkeypatch.setattr(training, "_prepare_run", prepare)
    return runs


def test_the_optimizer_is_torchs_fused_adamw_and_updates_as_the_per_tensor_one(tokenizer, monkeypatch):
    # fused AdamW (Trainer's default, adamw_torch_fused) is ~5x faster a step on a CPU than the per-tensor loop;
    # it is the same update, up to float rounding
    from course_utils import training

    runs = _captured_runs(monkeypatch)
    kw = dict(tokenizer=tokenizer, epochs=2, batch_size=4, learning_rate=1e-3, max_length=16, mixed_precision="no",
              progress=False, eval_every_epoch=False, keep_best=False)
    fused = fine_tune("encoder", table([0, 1]), table([0, 1]), model=tiny_model(), **kw)
    monkeypatch.setattr(training, "FUSED_ADAMW_DEVICES", ())
    loop = fine_tune("encoder", table([0, 1]), table([0, 1]), model=tiny_model(), **kw)
    opts = [getattr(r.optimizer, "optimizer", r.optimizer) for r in runs]
    assert all(isinstance(o, torch.optim.AdamW) for o in opts)
    assert opts[0].defaults["fused"] is True and not opts[1].defaults["fused"]
    a, b = fused.model.state_dict(), loop.model.state_dict()
    moved = max(float((a[k] - tiny_model().state_dict()[k]).abs().max()) for k in a)
    assert moved > 1e-3  # it trained
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-4, atol=1e-5)
