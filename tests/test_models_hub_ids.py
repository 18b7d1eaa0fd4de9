"""Every checkpoint a chapter loads online goes through the same functions the notebooks call, tested offline.

Online, chapter 04/05 call ``fine_tune("encoder")`` (bert-base-uncased in the gpu profile), chapter 06 calls
``fine_tune(spec.hub_id, ...)`` and ``load_tokenizer(spec.hub_id)`` for every family. The hub cannot be reached
here, so each hub id gets a tiny random checkpoint of its own architecture and tokenizer kind, placed in a
Hugging Face cache under that very id (the layout ``huggingface_hub`` writes after a download). With
``HF_HUB_OFFLINE=1`` the course then resolves the id to the cache and loads it by name: the code path after the
download is exactly the learner's. What this cannot check: that the hub repositories still exist and hold
safetensors weights (loads refuse anything else).
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from course_utils import variants as V
from course_utils.models import PACKAGED_ENCODER_ID
from course_utils.profiles import PROFILES

ONLINE_IDS = sorted({spec.hub_id for spec in V.VARIANTS.values()}
                    | {ckpt for p in PROFILES.values() for ckpt in p.checkpoints.values()})


def put_in_hub_cache(cache: Path, repo_id: str, folder: Path) -> None:
    """Copy a saved checkpoint into ``cache`` as the snapshot of ``repo_id`` at ``main``."""
    sha = "0" * 40
    repo = cache / ("models--" + repo_id.replace("/", "--"))
    snap = repo / "snapshots" / sha
    snap.mkdir(parents=True)
    for f in folder.iterdir():
        (snap / f.name).write_bytes(f.read_bytes())
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(sha)


SCRIPT = r"""
import json, sys
import course_utils as cu
from course_utils import variants as V
from course_utils.training import fine_tune

ids, corpus = json.loads(sys.argv[1]), json.loads(sys.argv[2])
train = {"text": corpus[:32], "label": [i % 2 for i in range(32)]}
import pandas as pd
train, evals = pd.DataFrame(train), pd.DataFrame({"text": corpus[32:48], "label": [i % 2 for i in range(16)]})
out = {}
for hub_id in ids:
    ckpt = cu.resolve_checkpoint(hub_id, verbose=False)
    tok = cu.load_tokenizer(hub_id)
    res = fine_tune(hub_id, train, evals, epochs=1, batch_size=16, learning_rate=1e-3, max_length=32, progress=False)
    out[hub_id] = {"source": ckpt.source, "n": res.metrics["n"], "model": type(res.model).__name__,
                   "tokenizer": type(tok).__name__}
gpu = fine_tune("encoder", train, evals, epochs=1, batch_size=16, max_length=32, progress=False, profile="gpu")
out["gpu encoder"] = {"checkpoint": gpu.checkpoint, "source": cu.resolve_checkpoint("encoder", "gpu", verbose=False).source}
print("RESULT " + json.dumps(out))
"""


def test_every_online_checkpoint_loads_by_its_hub_id_from_the_cache(tmp_path):
    corpus = [f"a {w} film , {v} and {u} ." for w, v, u in zip(
        ["gripping", "dull", "funny", "tedious", "moving", "awful", "clever", "bland"] * 6,
        ["warm", "flat", "bright", "slow", "tender", "cold", "sharp", "thin"] * 6,
        ["great", "bad", "good", "poor", "lovely", "weak", "fine", "grim"] * 6)]
    key_of = {spec.hub_id: key for key, spec in V.VARIANTS.items()}
    cache = tmp_path / "hub"
    for hub_id in ONLINE_IDS:
        key = key_of.get(hub_id, "bert-base")  # a profile-only id (bert-base-uncased) is a BERT
        folder = V.make_tiny_checkpoint(key, tmp_path / "ckpt" / hub_id.replace("/", "--"), corpus, vocab_size=300)
        assert (folder / "model.safetensors").is_file()
        put_in_hub_cache(cache, hub_id, folder)
    env = {**os.environ, "HF_HUB_CACHE": str(cache), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "COURSE_PROFILE": "smoke", "TOKENIZERS_PARALLELISM": "false"}
    env.pop("COURSE_DATA_DIR", None)
    proc = subprocess.run([sys.executable, "-c", SCRIPT, json.dumps(ONLINE_IDS), json.dumps(corpus)], env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.split("RESULT ", 1)[1])
    for hub_id in ONLINE_IDS:
        row = result[hub_id]
        # by name from the cache, not the packaged fallback; the packaged encoder's own id prefers its pip copy offline
        assert row["source"] == ("packaged" if hub_id == PACKAGED_ENCODER_ID else "cache"), (hub_id, row)
        # fine_tune pools as the checkpoint was trained: mean for the sentence-transformers encoder, [CLS] otherwise
        want = "EncoderWithHead" if hub_id == PACKAGED_ENCODER_ID else "ForSequenceClassification"
        assert row["n"] == 16 and row["model"].endswith(want), (hub_id, row)
    assert result["gpu encoder"] == {"checkpoint": "google-bert/bert-base-uncased", "source": "cache"}
