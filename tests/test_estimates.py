"""gpu-profile times: estimated in the open, quoted consistently, within a class slot; measured ones recorded."""
import json
import re
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

import course_utils as cu
from course_utils import estimates as E
from course_utils.runtime import start_gpu_run_timer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import estimate_gpu_times as script  # noqa: E402

DATA = json.loads(script.OUT.read_text())


def test_cost_model_by_hand():
    job = E.Job("x", params=1_000_000, rows=1000, tokens=50, passes=2, train=True, batch_size=100)
    flops = 6 * 1_000_000 * 1000 * 50 * 2
    assert job.flops == flops and job.steps == 20
    assert job.seconds == pytest.approx(flops / (65e12 * 0.25) + 20 * 0.040)
    assert E.non_embedding_params(12, 768, 3072) == 84_934_656  # bert-base without embeddings, biases, LayerNorm
    with pytest.raises(ValueError, match="layers"):
        E.non_embedding_params(0, 768, 3072)


def test_committed_estimates_are_what_the_cost_model_gives():
    """results/gpu_estimates.json was produced from the current sizes and cost model (re-run the script if not)."""
    fresh = script.estimates(DATA["stats"], DATA["variant_params"])
    assert {ch: r["minutes"] for ch, r in fresh.items()} == {ch: r["minutes"] for ch, r in DATA["chapters"].items()}, (
        "chapter sizes or the cost model changed: run `python scripts/estimate_gpu_times.py` and update the headers")


def test_every_chapter_fits_a_20_minute_slot_on_a_t4():
    for ch, row in DATA["chapters"].items():
        assert row["minutes"] is None or row["minutes"] <= script.LIMIT_MINUTES, ch


@pytest.mark.parametrize("path", sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb")), ids=lambda p: p.name)
def test_headers_quote_the_estimate(path):
    title = "".join(json.loads(path.read_text())["cells"][0]["source"])
    minutes = DATA["chapters"][path.name[:2]]["minutes"]
    if minutes is None:
        gpu_time = r"\d+\s*(?:-\s*\d+\s*)?min(?:ute)?s?\s+(?:of GPU work\s+)?(?:in the `gpu`|on a (?:T4|GPU))"
        assert not re.search(gpu_time, title), "a gpu time with no estimate behind it"
        return
    assert f"about {minutes:.0f} min of GPU work" in title, f"the header must say 'about {minutes:.0f} min of GPU work'"
    assert "*estimated*" in title and "scripts/estimate_gpu_times.py" in title


class FakeShell:
    def __init__(self):
        self.callbacks = []
        self.events = SimpleNamespace(register=lambda name, cb: self.callbacks.append((name, cb)),
                                      unregister=lambda name, cb: self.callbacks.remove((name, cb)))


def test_a_gpu_run_records_its_measured_time(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_RESULTS", str(tmp_path / "results.csv"))
    env = SimpleNamespace(chapter="04", device=SimpleNamespace(type="cuda"), profile=cu.get_profile("gpu"))
    shell = FakeShell()
    callback = start_gpu_run_timer(env, shell=shell, device_name="Tesla T4")
    assert shell.callbacks == [("post_run_cell", callback)]
    callback()
    callback()  # after every cell: the row is replaced, not duplicated
    rows = cu.load_results()
    rows = rows[rows["experiment"] == "chapter_run_time"]
    assert len(rows) == 1 and rows.iloc[0]["model"] == "Tesla T4" and rows.iloc[0]["profile"] == "gpu"
    again = start_gpu_run_timer(env, shell=shell, device_name="Tesla T4")  # setup() run twice: one callback
    assert shell.callbacks == [("post_run_cell", again)]


def test_no_timer_on_a_cpu():
    env = SimpleNamespace(chapter="04", device=SimpleNamespace(type="cpu"), profile=cu.get_profile("cpu"))
    assert start_gpu_run_timer(env, shell=FakeShell()) is None


def test_readme_shows_the_committed_estimates():
    assert script.table(DATA) in (ROOT / "README.md").read_text()
