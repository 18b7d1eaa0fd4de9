"""Time to accuracy: how long each way of fine-tuning needs to reach a validation accuracy, beside examples/s.

Same model (the cpu profile's encoder, all-MiniLM-L6-v2, with the same seeded new head), same SST-2 training
sentences (6,920) and the same number of epochs; one run of each configuration, one after the other in one process:

- ``helper``: ``course_utils.training.fine_tune`` with the cpu profile's settings (batch 32, lr 1e-4, 10% linear
  warmup then linear decay, weight decay 0.01, gradient clipping 1.0, max_length 64, ``mixed_precision="auto"``,
  length-grouped batches, dynamic padding, fused AdamW) and ``pooling="cls"``: the ``[CLS]`` + pooler head that
  ``AutoModelForSequenceClassification`` (and so every ``Trainer`` row) has, so that only the training loop differs;
- ``helper-own-pooling``: the same, with the head ``fine_tune`` picks by default (the checkpoint's own pooling; only
  where this ``fine_tune`` has a ``pooling`` argument);
- ``trainer-matched``: the ``Trainer`` a careful user writes: the helper's batch size, precision, learning rate,
  warmup steps, schedule, weight decay and clipping, ``DataCollatorWithPadding``, random order (and
  ``Trainer``'s default optimizer, fused AdamW);
- ``trainer-grouped``: the same with ``train_sampling_strategy="group_by_length"`` (transformers' length grouping);
- ``trainer-defaults``: ``TrainingArguments`` defaults (batch 8, fp32, no warmup, no weight decay, random order).

Every configuration is evaluated on the validation sentences after every ``--eval-every`` training examples (that is
every eval_every / batch optimizer steps: 640 examples = 20 steps at batch 32, 80 steps at batch 8) and after its
last step, by one function for all (``course_utils.training.predict_logits`` at the precision it trains in). The
clock runs only while training: evaluation time is EXCLUDED from the training seconds (the time to accuracy and the
examples/s) and reported beside them (``eval_seconds``). The time to a target is the training seconds at the first
evaluation whose accuracy reaches it, so it is exact up to one evaluation interval, the same number of examples for
every configuration. Evaluating does not change training: no random numbers are drawn and the weights are untouched.

The helper runs the real ``fine_tune``, unchanged: the benchmark wraps the training batches of the run it prepares
(``training._prepare_run``), so that after each optimizer step the clock can be stopped and the model evaluated.
(A ``fine_tune(eval_every_steps=...)`` hook would make this wrapper unnecessary.)

    python benchmarks/time_to_accuracy.py                          # the full run: 6,920 sentences, 3 epochs
    python benchmarks/time_to_accuracy.py --n-train 256 --epochs 1 --targets 0.55 --eval-every 64 \\
        --n-val 200 --out /tmp/tta.json                          # a quick check that it works
    python benchmarks/time_to_accuracy.py --report results/bench_time_to_accuracy.json   # README text of a run

Prints the table, the ratio "helper's time to the target / the best Trainer configuration's", the machine (CPU
count, torch threads, precision that ran, load average before and after) and writes a JSON (default
results/bench_time_to_accuracy.json) from which the README table is built. Timings depend on the machine and on what
else runs on it: compare ratios measured in one run. Not run in CI (tests/test_benchmark_tta.py runs a tiny one).
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import gc
import inspect
import json
import math
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Sequence
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CONFIGS = ("helper", "helper-own-pooling", "trainer-matched", "trainer-grouped", "trainer-defaults")
DEFAULT_CONFIGS = ("helper", "trainer-matched", "trainer-grouped", "trainer-defaults", "helper-own-pooling")
TRAINERS = tuple(c for c in CONFIGS if c.startswith("trainer"))
HELPERS = tuple(c for c in CONFIGS if c.startswith("helper"))
DEFAULT_OUT = ROOT / "results" / "bench_time_to_accuracy.json"


# ---- the pure parts (tested in tests/test_benchmark_tta.py) -----------------------------------------------------

def examples_seen(step: int, n_train: int, batch_size: int) -> int:
    """Training examples after ``step`` optimizer steps (one batch a step; the last batch of an epoch may be short)."""
    per_epoch = math.ceil(n_train / batch_size)
    epochs, rest = divmod(step, per_epoch)
    return epochs * n_train + min(rest * batch_size, n_train)


def eval_every_steps(eval_every_examples: int, batch_size: int) -> int:
    """The step interval that evaluates after (about) every ``eval_every_examples`` examples, at least 1."""
    return max(1, round(eval_every_examples / batch_size))


def target_key(target: float) -> str:
    """``0.88`` -> ``"0.88"`` (JSON keys)."""
    return f"{target:g}"


def time_to_target(curve: Sequence[dict[str, Any]], target: float) -> dict[str, Any] | None:
    """The first evaluation (in step order) whose accuracy reaches ``target``: ``{train_seconds, step, examples,
    accuracy}``; ``None`` when no evaluation reaches it ("not reached")."""
    for point in sorted(curve, key=lambda p: p["step"]):
        if point["accuracy"] >= target:
            return {k: point[k] for k in ("train_seconds", "step", "examples", "accuracy")}
    return None


def compare(helper: dict[str, Any], trainers: Sequence[dict[str, Any]], target: float) -> dict[str, Any]:
    """The helper's time to ``target`` against the fastest ``Trainer`` configuration's (``time_to`` filled in).

    ``ratio`` = helper seconds / best Trainer seconds (below 1: the helper is sooner); ``speedup`` = its inverse.
    ``kind``: ``"measured"``; ``"lower bound"`` when no Trainer configuration reached the target: each trained for
    its whole run without reaching it, so it would need more than its training seconds (the shortest one is used),
    ``speedup`` is then at least the value given and ``ratio`` at most; ``"helper not reached"`` (some Trainer
    reached it, the helper did not: no ratio); ``"none reached"``; ``"no trainer"`` (no Trainer configuration ran).
    """
    key = target_key(target)
    h = helper["time_to"].get(key)
    out: dict[str, Any] = {"target": target, "helper": helper["name"], "helper_seconds": h and h["train_seconds"],
                           "best_trainer": None, "best_trainer_seconds": None, "ratio": None, "speedup": None}
    reached = sorted((t["time_to"][key]["train_seconds"], t["name"]) for t in trainers if t["time_to"].get(key))
    if not trainers:
        return {**out, "kind": "no trainer"}
    if reached:
        out["best_trainer_seconds"], out["best_trainer"] = reached[0]
        if h is None:
            return {**out, "kind": "helper not reached"}
        return {**out, "kind": "measured", "ratio": h["train_seconds"] / reached[0][0],
                "speedup": reached[0][0] / h["train_seconds"]}
    if h is None:
        return {**out, "kind": "none reached"}
    bound, name = min((t["train_seconds"], t["name"]) for t in trainers)
    return {**out, "kind": "lower bound", "best_trainer": name, "best_trainer_seconds": bound,
            "ratio": h["train_seconds"] / bound, "speedup": bound / h["train_seconds"]}


def describe_comparison(c: dict[str, Any]) -> str:
    """One line for a ``compare`` result."""
    pct = f"{c['target']:.0%}"
    if c["kind"] == "measured":
        verdict = (f"the helper is {c['speedup']:.2f}x sooner" if c["speedup"] >= 1
                   else f"the helper takes {c['ratio']:.2f}x as long")
        return (f"to {pct}: {c['helper']} {c['helper_seconds']:.1f} s, best Trainer ({c['best_trainer']}) "
                f"{c['best_trainer_seconds']:.1f} s: ratio {c['ratio']:.2f} ({verdict})")
    if c["kind"] == "lower bound":
        return (f"to {pct}: {c['helper']} {c['helper_seconds']:.1f} s; no Trainer configuration reached it (the "
                f"shortest, {c['best_trainer']}, trained {c['best_trainer_seconds']:.1f} s): ratio <= "
                f"{c['ratio']:.2f}, the helper is >= {c['speedup']:.2f}x sooner")
    if c["kind"] == "helper not reached":
        return (f"to {pct}: {c['helper']} did not reach it; best Trainer ({c['best_trainer']}) "
                f"{c['best_trainer_seconds']:.1f} s: no ratio")
    if c["kind"] == "none reached":
        return f"to {pct}: no configuration reached it: no ratio"
    return f"to {pct}: no Trainer configuration ran: no ratio"


def format_time_to(t: dict[str, Any] | None) -> str:
    """``"95 s (3,840 ex.)"`` or ``"not reached"``."""
    return "not reached" if t is None else f"{t['train_seconds']:.0f} s ({t['examples']:,} ex.)"


def markdown_table(configs: Sequence[dict[str, Any]], targets: Sequence[float]) -> str:
    """The README table: one row per configuration."""
    head = (["configuration", "batch", "precision", "examples/s"] + [f"time to {t:.0%}" for t in targets]
            + ["final val. accuracy", "optimizer steps"])
    lines = ["| " + " | ".join(head) + " |", "|---|---:|---|---:|" + "---:|" * len(targets) + "---:|---:|"]
    for c in configs:
        cells = ([c["label"], str(c["batch_size"]), c["precision"], f"{c['examples_per_second']:.1f}"]
                 + [format_time_to(c["time_to"].get(target_key(t))) for t in targets]
                 + [f"{c['final_accuracy']:.4f}", f"{c['optimizer_steps']:,}"])
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def report_markdown(result: dict[str, Any]) -> str:
    """README-ready text from a result (the JSON): the run, the table, the ratios and the machine."""
    m, d, st = result["machine"], result["data"], result["settings"]
    per = ", ".join(f"{c['eval_every_steps']} steps at batch {c['batch_size']}"
                    for c in {c["batch_size"]: c for c in result["configs"]}.values())
    lines = [f"One run of each, {d['n_train']:,} SST-2 training sentences x {st['epochs']} epoch(s), evaluated on "
             f"{d['n_val']:,} validation sentences after every {st['eval_every_examples']:,} training examples "
             f"({per}) and after the last step. Times are training seconds: the clock stops while evaluating "
             f"(evaluation took " + ", ".join(f"{c['eval_seconds']:.0f} s" for c in result["configs"])
             + " in the order of the table)."
             + (f" Before the first run, an untimed warm-up pass ({st['warm_up_seconds']:.0f} s) ran every training "
                "length once in each precision, so that no configuration pays alone for one-time costs."
                if st.get("warm_up_seconds") else ""), "", result["markdown"], ""]
    lines += [f"- {describe_comparison(c)}" for c in result["comparisons"]]
    finals = [c["final_accuracy"] for c in result["configs"] if c["final_accuracy"] is not None]
    if finals:
        p = sum(finals) / len(finals)
        se = math.sqrt(p * (1 - p) / d["n_val"])
        lines.append(f"- Final accuracies: {min(finals):.4f} to {max(finals):.4f}. One standard error of an accuracy "
                     f"near {p:.2f} on {d['n_val']:,} sentences is {se * 100:.1f} points, so gaps below about "
                     f"{2 * se * 100:.0f} points are within one run's noise.")
    lines += ["", f"Machine: {m['cpu_count']} CPUs ({m['cpu_model']}), torch {m['torch_threads']} threads, "
              f"transformers {m['transformers']}, precision that ran: "
              + ", ".join(f"{c['name']} {c['precision']}" for c in result["configs"])
              + f"; load average {m['load_average_before']} before, {m['load_average_after']} after. "
              f"Command: `{result['command'].strip()}`."]
    return "\n".join(lines)


class TrainClock:
    """A stopwatch that runs only while training (stopped around evaluations)."""

    def __init__(self, timer: Callable[[], float] = time.perf_counter):
        self._timer, self._elapsed, self._since = timer, 0.0, None

    def start(self) -> None:
        if self._since is None:
            self._since = self._timer()

    def stop(self) -> None:
        if self._since is not None:
            self._elapsed += self._timer() - self._since
            self._since = None

    @property
    def seconds(self) -> float:
        return self._elapsed + (self._timer() - self._since if self._since is not None else 0.0)


class CurveRecorder:
    """Evaluates after every ``every`` optimizer steps and after the last one, with the clock stopped."""

    def __init__(self, name: str, evaluate: Callable[[Any], float], every: int, n_train: int, batch_size: int,
                 verbose: bool = True):
        self.name, self.evaluate, self.every, self.n_train, self.batch_size = name, evaluate, every, n_train, batch_size
        self.verbose, self.total_steps = verbose, None
        self.clock, self.curve, self.eval_seconds = TrainClock(), [], 0.0

    def after_step(self, step: int, model: Any) -> None:
        last = self.total_steps is not None and step >= self.total_steps
        if step % self.every and not last:
            return
        self.clock.stop()
        t0 = time.perf_counter()
        accuracy = float(self.evaluate(model))
        seconds = time.perf_counter() - t0
        self.eval_seconds += seconds
        point = dict(step=step, examples=examples_seen(step, self.n_train, self.batch_size),
                     train_seconds=round(self.clock.seconds, 3), accuracy=accuracy, eval_seconds=round(seconds, 3))
        self.curve.append(point)
        if self.verbose:
            print(f"    [{self.name}] step {step:>5}  {point['examples']:>7,} ex.  {point['train_seconds']:>8.1f} s "
                  f"training  val. acc. {accuracy:.4f}  (eval {seconds:.1f} s)", flush=True)
        if not last:
            self.clock.start()


# ---- the runs --------------------------------------------------------------------------------------------------

def _evaluator(tok, texts: list[str], labels: list[int], max_length: int, batch_size: int, precision: str):
    """``model -> validation accuracy``, the same function for every configuration."""
    import numpy as np

    from course_utils.training import predict_logits

    y = np.asarray(labels)
    mp = "bf16" if precision == "bf16" else "no"

    def evaluate(model) -> float:
        pred = predict_logits(model, tok, texts, max_length=max_length, batch_size=batch_size, mixed_precision=mp)
        return float((pred.argmax(-1) == y).mean())

    return evaluate


class _StepHook:
    """Wraps a prepared training DataLoader: after the step on each batch, ``recorder.after_step`` (the clock
    starts when the first epoch asks for its first batch). One batch is one optimizer step (grad_accum_steps=1)."""

    def __init__(self, dl, run, recorder: CurveRecorder):
        self.dl, self.run, self.recorder, self.step = dl, run, recorder, 0

    def __len__(self) -> int:
        return len(self.dl)

    def __iter__(self):
        self.recorder.clock.start()
        for batch in self.dl:
            yield batch  # fine_tune does its forward, backward, optimizer and scheduler step on it
            self.step += 1
            self.recorder.after_step(self.step, self.run.model)


@contextlib.contextmanager
def _hooked_fine_tune(recorder: CurveRecorder):
    """While active, ``fine_tune``'s training batches go through ``_StepHook``; fine_tune itself is unchanged."""
    from course_utils import training

    original = training._prepare_run

    def prepare(*args, **kwargs):
        run = original(*args, **kwargs)
        if run.grad_accum_steps != 1:
            raise ValueError("the benchmark counts one optimizer step per batch: grad_accum_steps must be 1")
        recorder.total_steps = run.total_updates
        run.train_dl = _StepHook(run.train_dl, run, recorder)
        return run

    with mock.patch.object(training, "_prepare_run", prepare):
        yield


def fine_tune_accepts(name: str) -> bool:
    from course_utils.training import fine_tune

    return name in inspect.signature(fine_tune).parameters


def run_helper(name: str, ctx: dict[str, Any]) -> dict[str, Any]:
    from course_utils.training import fine_tune, resolve_mixed_precision

    a = ctx["args"]
    precision = resolve_mixed_precision("auto")
    precision = "fp32" if precision in ("no", "fp16") else precision
    recorder = CurveRecorder(name, _evaluator(ctx["tok"], ctx["val_texts"], ctx["val_labels"], a.max_length,
                                              a.eval_batch_size, precision),
                             eval_every_steps(a.eval_every, a.batch_size), len(ctx["train"]), a.batch_size, a.verbose)
    kw: dict[str, Any] = dict(epochs=a.epochs, batch_size=a.batch_size, learning_rate=a.lr, max_length=a.max_length,
                              warmup_ratio=a.warmup_ratio, weight_decay=a.weight_decay, mixed_precision="auto",
                              seed=a.seed, eval_every_epoch=False, progress=False, profile="cpu")
    if fine_tune_accepts("keep_best"):
        kw["keep_best"] = False  # the curve reads the live model; nothing to select here
    pooling = "cls"
    if fine_tune_accepts("pooling"):
        kw["pooling"] = "cls" if name == "helper" else None
    elif name == "helper-own-pooling":
        raise ValueError("this fine_tune has no pooling argument: helper-own-pooling is the same run as helper")
    t0 = time.perf_counter()
    with _hooked_fine_tune(recorder):
        res = fine_tune("encoder", ctx["train"], ctx["val"], **kw)
    pooling = getattr(res, "pooling", pooling)
    ran = "fp32" if res.mixed_precision == "no" else res.mixed_precision
    label = ("course helper `fine_tune`, [CLS] head as `Trainer`'s" if name == "helper"
             else f"course helper `fine_tune`, its default head ({pooling} pooling)")
    setup = (f"fine_tune: batch {a.batch_size}, lr {a.lr:g}, warmup {a.warmup_ratio:g} then linear decay, weight "
             f"decay {a.weight_decay:g}, clip 1.0, fused AdamW, length-grouped batches, dynamic padding, mixed_precision='auto' "
             f"-> {ran}, head {pooling}")
    out = _config_row(name, label, setup, a.batch_size, ran, recorder, time.perf_counter() - t0, ctx)
    out.update(fine_tune_final_accuracy=res.metrics.get("accuracy"), pooling=pooling)
    del res
    gc.collect()
    return out


def _trainer_arguments(name: str, out_dir: str, ctx: dict[str, Any]) -> tuple[Any, str, str]:
    """TrainingArguments for a Trainer configuration, its precision and a one-line description."""
    import torch
    from transformers import TrainingArguments

    from course_utils.training import resolve_mixed_precision

    a = ctx["args"]
    common = dict(output_dir=out_dir, num_train_epochs=a.epochs, seed=a.seed, save_strategy="no", report_to="none",
                  eval_strategy="no", disable_tqdm=True)
    if name == "trainer-defaults":
        args = TrainingArguments(**common)
        return args, "fp32", (f"Trainer defaults: batch {args.per_device_train_batch_size}, lr "
                              f"{args.learning_rate:g}, no warmup, weight decay {args.weight_decay:g}, fp32, "
                              f"random order, optim {getattr(args.optim, 'value', args.optim)}")
    precision = resolve_mixed_precision("auto")  # what the helper runs
    bf16 = precision == "bf16"
    total = math.ceil(len(ctx["train"]) / a.batch_size) * a.epochs
    warmup = int(a.warmup_ratio * total)  # exactly the helper's warmup steps (Trainer would round a ratio up)
    kw = dict(per_device_train_batch_size=a.batch_size, learning_rate=a.lr, warmup_steps=warmup,
              lr_scheduler_type="linear", weight_decay=a.weight_decay, max_grad_norm=1.0, bf16=bf16)
    if bf16 and not torch.cuda.is_available():
        kw["use_cpu"] = True  # transformers refuses bf16 without a GPU unless told to run on the CPU
    if name == "trainer-grouped":
        kw["train_sampling_strategy"] = "group_by_length"
    args = TrainingArguments(**common, **kw)
    order = "group_by_length" if name == "trainer-grouped" else "random order"
    ran = "bf16" if bf16 else "fp32"
    return args, ran, (f"Trainer, helper's settings: batch {a.batch_size}, lr {a.lr:g}, warmup {warmup} steps then "
                       f"linear decay, weight decay {a.weight_decay:g}, clip 1.0, {ran}, DataCollatorWithPadding, "
                       f"{order}, optim {getattr(args.optim, 'value', args.optim)}")


def run_trainer(name: str, ctx: dict[str, Any]) -> dict[str, Any]:
    from accelerate.state import AcceleratorState, GradientState
    from transformers import DataCollatorWithPadding, Trainer, TrainerCallback

    import course_utils as cu

    a, tok = ctx["args"], ctx["tok"]
    t0 = time.perf_counter()
    AcceleratorState._reset_state(reset_partial_state=False)  # fine_tune's settings must not leak into Trainer's
    GradientState._reset_state()
    with tempfile.TemporaryDirectory() as out_dir:
        args, ran, setup = _trainer_arguments(name, out_dir, ctx)
        batch = args.per_device_train_batch_size
        recorder = CurveRecorder(name, _evaluator(tok, ctx["val_texts"], ctx["val_labels"], a.max_length,
                                                  a.eval_batch_size, ran),
                                 eval_every_steps(a.eval_every, batch), len(ctx["train"]), batch, a.verbose)

        class Hook(TrainerCallback):
            def on_train_begin(self, args, state, control, **kw):
                recorder.total_steps = state.max_steps
                recorder.clock.start()

            def on_step_end(self, args, state, control, model=None, **kw):
                recorder.after_step(state.global_step, model)

        cu.set_seed(a.seed)  # the same new head as fine_tune's (it seeds, then loads)
        model = cu.load_classifier("encoder", num_labels=2, profile="cpu")
        trainer = Trainer(model=model, args=args, train_dataset=ctx["train_tokenized"], processing_class=tok,
                          data_collator=DataCollatorWithPadding(tok), callbacks=[Hook()])
        trainer.train()
    label = {"trainer-matched": "`Trainer`, the helper's settings",
             "trainer-grouped": "`Trainer`, the helper's settings + group_by_length",
             "trainer-defaults": "`Trainer` defaults"}[name]
    out = _config_row(name, label, setup, batch, ran, recorder, time.perf_counter() - t0, ctx)
    del trainer, model
    gc.collect()
    return out


def _config_row(name, label, setup, batch_size, precision, recorder: CurveRecorder, wall, ctx) -> dict[str, Any]:
    a = ctx["args"]
    steps = recorder.curve[-1]["step"] if recorder.curve else 0
    examples = examples_seen(steps, len(ctx["train"]), batch_size)
    train_s = recorder.curve[-1]["train_seconds"] if recorder.curve else float("nan")
    return dict(
        name=name, label=label, setup=setup, batch_size=batch_size, precision=precision, optimizer_steps=steps,
        train_examples=examples, train_seconds=train_s, examples_per_second=examples / train_s if train_s else 0.0,
        eval_seconds=round(recorder.eval_seconds, 3), evaluations=len(recorder.curve), wall_seconds=round(wall, 3),
        eval_every_steps=recorder.every, final_accuracy=recorder.curve[-1]["accuracy"] if recorder.curve else None,
        best_accuracy=max((p["accuracy"] for p in recorder.curve), default=None),
        time_to={target_key(t): time_to_target(recorder.curve, t) for t in a.targets}, curve=recorder.curve,
    )


# ---- the benchmark ---------------------------------------------------------------------------------------------

def warm_up(ctx: dict[str, Any], precisions: Sequence[str]) -> float:
    """An untimed forward and backward pass at every training length, in every precision that will run, so that the
    first configuration does not pay alone for the one-time costs (thread pool, allocator, oneDNN's kernels for each
    new shape, cached for the rest of the process). Returns the seconds it took."""
    import torch

    import course_utils as cu

    a = ctx["args"]
    t0 = time.perf_counter()
    lengths = sorted({len(x) for x in ctx["train_tokenized"]["input_ids"]})
    model = cu.load_classifier("encoder", num_labels=2, profile="cpu")
    model.train()
    for precision in precisions:
        for n in lengths:
            ids = torch.full((a.batch_size, n), ctx["tok"].cls_token_id or 0, dtype=torch.long)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
                logits = model(input_ids=ids, attention_mask=torch.ones_like(ids)).logits
            logits.float().sum().backward()
            model.zero_grad(set_to_none=True)
    del model
    gc.collect()
    return time.perf_counter() - t0


def machine_facts() -> dict[str, Any]:
    import accelerate
    import torch
    import transformers

    from course_utils.training import _cpu_bf16_speedup, resolve_mixed_precision

    cpu_model = platform.processor() or ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    facts = dict(
        cpu_count=os.cpu_count(),
        cpus_usable=len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        cpu_model=cpu_model, torch_threads=torch.get_num_threads(),
        torch_interop_threads=torch.get_num_interop_threads(),
        cuda=torch.cuda.is_available(), python=platform.python_version(), torch=torch.__version__,
        transformers=transformers.__version__, accelerate=accelerate.__version__,
        auto_precision=resolve_mixed_precision("auto"),
    )
    if not torch.cuda.is_available():
        facts["cpu_bf16_matmul_speedup"] = round(_cpu_bf16_speedup(), 2)
    return facts


def _load_avg() -> list[float] | None:
    return [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None


def parse_args(argv=None) -> argparse.Namespace:
    from course_utils.profiles import get_profile

    cpu = get_profile("cpu")
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n-train", type=int, default=None, help="SST-2 training rows (default: all 6,920)")
    p.add_argument("--n-val", type=int, default=None, help="validation rows evaluated (default: all 872)")
    p.add_argument("--epochs", type=int, default=cpu.epochs, help=f"epochs for every configuration ({cpu.epochs})")
    p.add_argument("--eval-every", type=int, default=640, metavar="EXAMPLES",
                   help="evaluate after every this many training examples (rounded to whole steps of each "
                        "configuration's batch) and after the last step (default 640)")
    p.add_argument("--targets", type=float, nargs="+", default=[0.85, 0.88], help="validation accuracies (0.85 0.88)")
    p.add_argument("--configs", nargs="+", default=list(DEFAULT_CONFIGS), choices=CONFIGS,
                   help=f"which to run, in this order (default: {' '.join(DEFAULT_CONFIGS)})")
    p.add_argument("--batch-size", type=int, default=cpu.batch_size, help="helper's (and trainer-matched's) batch")
    p.add_argument("--lr", type=float, default=cpu.learning_rate, help="helper's (and trainer-matched's) peak lr")
    p.add_argument("--max-length", type=int, default=cpu.max_length)
    p.add_argument("--eval-batch-size", type=int, default=cpu.eval_batch_size)
    p.add_argument("--warmup-ratio", type=float, default=0.1)
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=DEFAULT_OUT,
                   help="JSON to write (default results/bench_time_to_accuracy.json)")
    p.add_argument("--no-warm-up", dest="warm_up", action="store_false",
                   help="skip the untimed warm-up pass (every training length, every precision) before the first run")
    p.add_argument("--quiet", dest="verbose", action="store_false", help="no line per evaluation")
    p.add_argument("--report", type=Path, metavar="JSON", help="run nothing: print the README text of a saved run")
    args = p.parse_args(argv)
    if not args.targets or any(not 0 < t <= 1 for t in args.targets):
        p.error("--targets: accuracies in (0, 1], e.g. --targets 0.85 0.88")
    if args.eval_every < 1 or args.epochs < 1:
        p.error("--eval-every and --epochs must be at least 1")
    args.targets = sorted(args.targets)
    args.configs = list(dict.fromkeys(args.configs))
    return args


def main(argv=None) -> dict[str, Any]:
    import numpy as np

    import course_utils as cu

    args = parse_args(argv)
    if args.report:
        result = json.loads(args.report.read_text(encoding="utf-8"))
        print(report_markdown(result))
        return result
    t_start = time.perf_counter()
    load_before = _load_avg()
    cu.setup(chapter="bench-tta", seed=args.seed, verbose=args.verbose)
    dsd = cu.load_course_dataset("sst2", profile="cpu")  # full SST-2 train (6,920) and validation (872)
    train = cu.stratified_subsample(dsd["train"], args.n_train, "label", seed=0)
    val = cu.stratified_subsample(dsd["validation"], args.n_val, "label", seed=0)
    tok = cu.load_tokenizer("encoder", profile="cpu")
    keep = ("input_ids", "attention_mask", "token_type_ids", "label")
    train_tok = train.map(lambda b: tok(b["text"], truncation=True, max_length=args.max_length), batched=True)
    train_tok = train_tok.remove_columns([c for c in train_tok.column_names if c not in keep])
    lengths = [len(x) for x in train_tok["input_ids"]]
    machine = machine_facts()
    print(f"{len(train):,} SST-2 training sentences x {args.epochs} epoch(s), {len(val):,} validation sentences; "
          f"mean length {np.mean(lengths):.1f} tokens (max_length {args.max_length}); evaluate every "
          f"{args.eval_every} examples; targets {', '.join(f'{t:.0%}' for t in args.targets)}")
    print(f"machine: {machine['cpu_count']} CPUs ({machine['cpus_usable']} usable, {machine['cpu_model']}), torch "
          f"{machine['torch_threads']} threads, auto precision -> {machine['auto_precision']}, load average "
          f"{load_before}", flush=True)
    ctx = dict(args=args, train=train, val=val, tok=tok, train_tokenized=train_tok, val_texts=list(val["text"]),
               val_labels=list(val["label"]))
    warm_seconds = None
    if args.warm_up:  # the precisions that will run: "auto"'s everywhere but trainer-defaults (fp32)
        ran = sorted({"bf16" if machine["auto_precision"] == "bf16" and name != "trainer-defaults" else "fp32"
                      for name in args.configs})
        warm_seconds = round(warm_up(ctx, ran), 1)
        print(f"warm-up (untimed): a forward and backward pass at each of the training lengths in "
              f"{', '.join(ran)}: {warm_seconds:.0f} s", flush=True)
    configs = []
    for name in args.configs:
        print(f"\n== {name}", flush=True)
        row = (run_helper if name in HELPERS else run_trainer)(name, ctx)
        configs.append(row)
        reached = ", ".join(f"{float(k):.0%}: {format_time_to(v)}" for k, v in row["time_to"].items())
        print(f"  {name}: {row['train_seconds']:.1f} s training ({row['examples_per_second']:.1f} ex/s, "
              f"{row['optimizer_steps']} steps, {row['precision']}), {row['eval_seconds']:.1f} s evaluating, final "
              f"val. acc. {row['final_accuracy']:.4f}; time to {reached}", flush=True)

    helpers = [c for c in configs if c["name"] in HELPERS]
    trainers = [c for c in configs if c["name"] in TRAINERS]
    comparisons = [compare(h, trainers, t) for h in helpers for t in args.targets] if trainers else []
    table = markdown_table(configs, args.targets)
    load_after = _load_avg()
    result = dict(
        benchmark="time_to_accuracy", created=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        command="python benchmarks/time_to_accuracy.py " + " ".join(sys.argv[1:] if argv is None else argv),
        timing=("train_seconds exclude evaluation: the clock stops while the model is evaluated; eval_seconds is "
                "the evaluation time, wall_seconds the whole configuration (loading, tokenizing, training, "
                "evaluating)"),
        machine={**machine, "load_average_before": load_before, "load_average_after": load_after},
        data=dict(dataset="sst2", n_train=len(train), n_val=len(val), max_length=args.max_length,
                  mean_train_tokens=round(float(np.mean(lengths)), 2)),
        settings=dict(warm_up_seconds=warm_seconds, epochs=args.epochs, eval_every_examples=args.eval_every, targets=args.targets, seed=args.seed,
                      batch_size=args.batch_size, learning_rate=args.lr, warmup_ratio=args.warmup_ratio,
                      weight_decay=args.weight_decay, configs=args.configs),
        configs=configs, comparisons=comparisons, markdown=table,
        total_seconds=round(time.perf_counter() - t_start, 1),
    )
    print("\n" + report_markdown(result) + "\n")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({result['total_seconds']:.0f} s in all)")
    return result


if __name__ == "__main__":
    main()
