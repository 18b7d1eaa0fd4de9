"""benchmarks/time_to_accuracy.py: the time-to-accuracy arithmetic, that watching fine_tune does not change it, and a
tiny end-to-end run (no timing thresholds: timings depend on the machine)."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from script_loader import load_script
from training_helpers import tiny_model


@pytest.fixture(scope="module")
def tta():
    return load_script("time_to_accuracy", folder="benchmarks")


def curve(*points):
    """(step, seconds, accuracy) triples -> curve points as the recorder writes them (batch 32, 6,920 rows)."""
    return [dict(step=s, examples=s * 32, train_seconds=t, accuracy=a, eval_seconds=1.0) for s, t, a in points]


def config(name, points, train_seconds=None):
    c = curve(*points)
    return dict(name=name, curve=c, train_seconds=train_seconds or c[-1]["train_seconds"],
                time_to={})


def fill(tta, cfg, targets):
    cfg["time_to"] = {tta.target_key(t): tta.time_to_target(cfg["curve"], t) for t in targets}
    return cfg


# ---- time to a target -----------------------------------------------------------------------------------------

def test_first_crossing_not_the_best_or_a_later_one(tta):
    c = curve((20, 10.0, 0.80), (40, 20.0, 0.86), (60, 30.0, 0.84), (80, 40.0, 0.89), (100, 50.0, 0.90))
    assert tta.time_to_target(c, 0.85) == {"train_seconds": 20.0, "step": 40, "examples": 1280, "accuracy": 0.86}
    assert tta.time_to_target(c, 0.88)["train_seconds"] == 40.0  # the dip at step 60 does not matter
    assert tta.time_to_target(c, 0.80)["step"] == 20  # reached exactly counts
    assert tta.time_to_target(list(reversed(c)), 0.85)["step"] == 40  # in step order, whatever the list order


def test_never_reached_is_none_and_prints_not_reached(tta):
    c = curve((20, 10.0, 0.80), (40, 20.0, 0.87))
    assert tta.time_to_target(c, 0.88) is None
    assert tta.time_to_target([], 0.5) is None
    assert tta.format_time_to(None) == "not reached"
    assert tta.format_time_to(tta.time_to_target(c, 0.85)) == "20 s (1,280 ex.)"


def test_ratio_against_the_fastest_trainer(tta):
    helper = fill(tta, config("helper", [(20, 10.0, 0.86), (40, 20.0, 0.885)]), [0.85, 0.88])
    slow = fill(tta, config("trainer-defaults", [(80, 30.0, 0.87), (160, 60.0, 0.89)]), [0.85, 0.88])
    fast = fill(tta, config("trainer-matched", [(20, 15.0, 0.84), (40, 30.0, 0.88)]), [0.85, 0.88])
    c88 = tta.compare(helper, [slow, fast], 0.88)
    assert c88["kind"] == "measured" and c88["best_trainer"] == "trainer-matched"
    assert c88["ratio"] == pytest.approx(20 / 30) and c88["speedup"] == pytest.approx(1.5)
    c85 = tta.compare(helper, [slow, fast], 0.85)  # trainer-matched reaches 85% later than trainer-defaults
    assert c85["best_trainer"] == "trainer-defaults" and c85["ratio"] == pytest.approx(10 / 30)
    assert "1.50x sooner" in tta.describe_comparison(c88)
    late = fill(tta, config("helper", [(20, 45.0, 0.885)]), [0.88])
    assert "the helper takes 1.50x as long" in tta.describe_comparison(tta.compare(late, [slow, fast], 0.88))


def test_ratio_when_one_side_never_reaches(tta):
    helper = fill(tta, config("helper", [(20, 10.0, 0.86), (40, 20.0, 0.885)]), [0.88])
    never = fill(tta, config("trainer-matched", [(20, 15.0, 0.84), (40, 30.0, 0.87)]), [0.88])
    never_long = fill(tta, config("trainer-defaults", [(80, 50.0, 0.85), (160, 100.0, 0.86)]), [0.88])
    reached = fill(tta, config("trainer-grouped", [(20, 12.0, 0.88)]), [0.88])
    # no Trainer reached: each would need more than its whole training time, the shortest gives the bound
    c = tta.compare(helper, [never, never_long], 0.88)
    assert c["kind"] == "lower bound" and c["best_trainer"] == "trainer-matched"
    assert c["speedup"] == pytest.approx(1.5) and c["ratio"] == pytest.approx(20 / 30)
    assert ">= 1.50x sooner" in tta.describe_comparison(c)
    # one Trainer configuration that reached it is enough for a measured ratio
    assert tta.compare(helper, [never, reached], 0.88)["kind"] == "measured"
    # the helper never reached it: no ratio
    slow_helper = fill(tta, config("helper", [(20, 10.0, 0.80)]), [0.88])
    c = tta.compare(slow_helper, [never, reached], 0.88)
    assert c["kind"] == "helper not reached" and c["ratio"] is None and c["speedup"] is None
    assert "did not reach" in tta.describe_comparison(c)
    c = tta.compare(slow_helper, [never], 0.88)
    assert c["kind"] == "none reached" and c["ratio"] is None
    assert tta.compare(helper, [], 0.88)["kind"] == "no trainer"


def test_examples_and_step_intervals(tta):
    assert tta.examples_seen(0, 100, 32) == 0
    assert tta.examples_seen(3, 100, 32) == 96
    assert tta.examples_seen(4, 100, 32) == 100  # the short last batch of the epoch
    assert tta.examples_seen(5, 100, 32) == 132  # next epoch
    assert tta.examples_seen(8, 100, 32) == 200
    assert tta.eval_every_steps(640, 32) == 20 and tta.eval_every_steps(640, 8) == 80
    assert tta.eval_every_steps(10, 32) == 1


def test_clock_counts_only_while_running(tta):
    now = [0.0]
    clock = tta.TrainClock(timer=lambda: now[0])
    clock.start()
    now[0] = 5.0
    clock.stop()  # evaluation from 5 to 9 is not counted
    now[0] = 9.0
    assert clock.seconds == 5.0
    clock.start()
    clock.start()  # starting a running clock changes nothing
    now[0] = 12.0
    assert clock.seconds == 8.0


def test_markdown_table_has_the_readme_columns(tta):
    row = fill(tta, config("helper", [(20, 10.0, 0.86)]), [0.85, 0.88])
    row.update(label="course helper", batch_size=32, precision="bf16", examples_per_second=64.0, final_accuracy=0.86,
               optimizer_steps=20)
    table = tta.markdown_table([row], [0.85, 0.88]).splitlines()
    assert table[0] == ("| configuration | batch | precision | examples/s | time to 85% | time to 88% | "
                        "final val. accuracy | optimizer steps |")
    assert table[2] == "| course helper | 32 | bf16 | 64.0 | 10 s (640 ex.) | not reached | 0.8600 | 20 |"


# ---- fine_tune, watched ---------------------------------------------------------------------------------------

POS = ["a great , moving film", "wonderful acting", "i loved every minute", "funny and warm", "a delight",
       "beautifully told"]
NEG = ["a dull , lifeless mess", "boring from start to end", "i hated it", "the plot makes no sense",
       "awful dialogue", "a waste of two hours"]


def test_the_evaluation_draws_no_random_numbers(tta, tokenizer):
    """Dropout masks after an evaluation are those of a run without it (a torch DataLoader would draw a seed from
    the global RNG each time it is iterated; the benchmark's evaluation uses none), for the Trainer rows too."""
    import torch

    model = tiny_model()
    evaluate = tta._evaluator(tokenizer, POS + NEG, [1] * len(POS) + [0] * len(NEG), 16, 8, "fp32")
    model.train()
    before = torch.get_rng_state()
    assert 0 <= evaluate(model) <= 1
    assert torch.equal(before, torch.get_rng_state()) and model.training


def test_evaluating_every_step_does_not_change_fine_tune(tta, tokenizer):
    """The hooked run trains exactly as fine_tune alone does (same losses, same final accuracy), evaluates after
    every step and the last, and its clock excludes those evaluations."""
    import course_utils.training as T

    df = pd.DataFrame({"text": POS + NEG, "label": [1] * len(POS) + [0] * len(NEG)})
    kw = dict(epochs=2, batch_size=4, learning_rate=1e-3, max_length=16, mixed_precision="no", seed=3,
              progress=False, eval_every_epoch=False)
    plain = T.fine_tune("unused", df, df, model=tiny_model(), tokenizer=tokenizer, **kw)
    evaluate = tta._evaluator(tokenizer, list(df["text"]), list(df["label"]), 16, 8, "fp32")
    rec = tta.CurveRecorder("helper", evaluate, every=1, n_train=len(df), batch_size=4, verbose=False)
    with tta._hooked_fine_tune(rec):
        watched = T.fine_tune("unused", df, df, model=tiny_model(), tokenizer=tokenizer, **kw)
    assert T._prepare_run.__name__ == "_prepare_run"  # the hook is gone afterwards
    assert watched.step_losses == pytest.approx(plain.step_losses, abs=1e-6)
    assert [p["step"] for p in rec.curve] == [1, 2, 3, 4, 5, 6]
    assert [p["examples"] for p in rec.curve] == [4, 8, 12, 16, 20, 24]
    assert rec.curve[-1]["accuracy"] == pytest.approx(plain.metrics["accuracy"])
    seconds = [p["train_seconds"] for p in rec.curve]
    assert seconds == sorted(seconds) and seconds[-1] <= watched.train_seconds  # fine_tune's clock includes evals
    assert rec.eval_seconds > 0 and rec.clock.seconds == pytest.approx(seconds[-1], abs=1e-3)  # stopped at the end


# ---- the benchmark, tiny --------------------------------------------------------------------------------------

@pytest.mark.usefixtures("real_mirror")
def test_tiny_end_to_end(tta, tmp_path, tokenizer, capsys):
    out = tmp_path / "tta.json"
    result = tta.main(["--n-train", "32", "--n-val", "32", "--epochs", "1", "--batch-size", "16", "--eval-every", "16",
                       "--targets", "0.3", "0.99", "--configs", "helper", "trainer-matched", "--out", str(out),
                       "--quiet"])
    text = capsys.readouterr().out
    saved = json.loads(out.read_text())
    assert saved["markdown"] == result["markdown"] and saved["markdown"] in text
    assert saved["data"] == {**saved["data"], "n_train": 32, "n_val": 32}
    assert saved["machine"]["cpu_count"] >= 1 and saved["machine"]["torch_threads"] >= 1
    assert [c["name"] for c in saved["configs"]] == ["helper", "trainer-matched"]
    helper, trainer = saved["configs"]
    for c in (helper, trainer):
        assert c["optimizer_steps"] == 2 and c["train_examples"] == 32 and c["batch_size"] == 16
        assert [p["step"] for p in c["curve"]] == [1, 2]
        assert c["precision"] == helper["precision"] in ("bf16", "fp32")  # the Trainer runs the helper's precision
        assert c["time_to"]["0.3"] is not None and c["time_to"]["0.99"] is None  # 32 sentences: far from 99%
        assert c["train_seconds"] > 0 and c["eval_seconds"] > 0
    # the benchmark's evaluation and fine_tune's own agree on the final model (at most one sentence apart)
    assert abs(helper["fine_tune_final_accuracy"] - helper["final_accuracy"]) <= 1 / 32 + 1e-9
    kinds = {(c["helper"], c["target"]): c["kind"] for c in saved["comparisons"]}
    assert kinds == {("helper", 0.3): "measured", ("helper", 0.99): "none reached"}
    assert "not reached" in saved["markdown"] and "ratio" in text and "precision that ran" in text
    assert saved["settings"]["warm_up_seconds"] > 0 and "untimed warm-up pass" in text  # nobody pays it alone
    assert "fused AdamW" in helper["setup"] and "adamw_torch_fused" in trainer["setup"]  # the same optimizer
    tta.main(["--report", str(out)])  # the README text again, from the JSON alone
    assert capsys.readouterr().out.strip() == tta.report_markdown(saved).strip()
    assert tta.report_markdown(saved) in text
