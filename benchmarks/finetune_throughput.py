"""Fine-tuning throughput: the course helper vs `Trainer` with default arguments vs a naive fixed-padding loop.

Same model (the profile's encoder), same SST-2 training rows, same number of epochs, one run each, in one process:
1. `course_utils.training.fine_tune`: dynamic padding, length-grouped batches of 16, AdamW + warmup, and
   `mixed_precision="auto"` (bf16 autocast only where a quick probe measures bf16 faster than fp32 on this
   machine; on CPUs without bf16 units it stays fp32). A 4th row runs the helper in fp32 to separate the two gains;
2. `transformers.Trainer` with its default arguments (batch 8, random order, dynamic padding by its collator);
3. the loop many tutorials use: every sentence padded to max_length=128, batches of 16, random order, plain AdamW.
Prints training examples per second, ratios, and the validation accuracy of each (all on the full validation set).

    python benchmarks/finetune_throughput.py                      # full SST-2 train (6,920), 1 epoch
    python benchmarks/finetune_throughput.py --n-train 512        # quicker
    python benchmarks/finetune_throughput.py --markdown           # also print a README table

Timings depend on the machine and on what else runs on it: compare ratios measured in one run, not absolute
numbers across machines. Not run in CI.

This compares examples/s against `Trainer` *defaults* after a fixed number of epochs. For the `Trainer` a careful
user writes (the helper's batch size, precision and schedule) and for wall time until a validation accuracy is
reached, see benchmarks/time_to_accuracy.py.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402

import course_utils as cu  # noqa: E402
from course_utils.training import fine_tune  # noqa: E402

FIXED_LENGTH = 128


def helper(train, val, epochs, lr, seed, mixed_precision="auto"):
    res = fine_tune("encoder", train, val, epochs=epochs, batch_size=16, learning_rate=lr,
                    max_length=FIXED_LENGTH, seed=seed, progress=True, mixed_precision=mixed_precision)
    precision = "fp32" if res.mixed_precision == "no" else res.mixed_precision
    how = f"fine_tune, batch 16, length-grouped, {precision}" + (" (auto)" if mixed_precision == "auto" else "")
    return res.train_seconds, res.metrics["accuracy"], how


def trainer_defaults(train, val, epochs, lr, seed, tok):
    from transformers import Trainer, TrainingArguments

    def enc(ds):
        ds = ds.map(lambda b: tok(b["text"], truncation=True, max_length=FIXED_LENGTH), batched=True)
        return ds.remove_columns([c for c in ds.column_names if c not in ("input_ids", "attention_mask",
                                                                          "token_type_ids", "label")])

    cu.set_seed(seed)
    model = cu.load_classifier("encoder", num_labels=2)
    with tempfile.TemporaryDirectory() as out:
        # Defaults on purpose, except: no checkpoints written, no loggers, the same epochs and lr as the others.
        args = TrainingArguments(output_dir=out, num_train_epochs=epochs, learning_rate=lr, save_strategy="no",
                                 report_to="none", seed=seed)
        trainer = Trainer(model=model, args=args, train_dataset=enc(train), eval_dataset=enc(val),
                          processing_class=tok,
                          compute_metrics=lambda p: cu.classification_metrics(p[1], p[0].argmax(-1)))
        start = time.perf_counter()
        trainer.train()
        seconds = time.perf_counter() - start
        acc = trainer.evaluate()["eval_accuracy"]
    return seconds, acc, f"Trainer defaults, batch {args.per_device_train_batch_size}"


def fixed_padding(train, val, epochs, lr, seed, tok):
    from torch.utils.data import DataLoader, TensorDataset

    device = cu.get_device()
    cu.set_seed(seed)
    model = cu.load_classifier("encoder", num_labels=2).to(device)

    def enc(ds):
        t = tok(list(ds["text"]), padding="max_length", truncation=True, max_length=FIXED_LENGTH,
                return_tensors="pt")
        return TensorDataset(t["input_ids"], t["attention_mask"], torch.tensor(list(ds["label"])))

    loader = DataLoader(enc(train), batch_size=16, shuffle=True, generator=torch.Generator().manual_seed(seed))
    opt = torch.optim.AdamW(model.parameters(), lr=lr)
    model.train()
    start = time.perf_counter()
    for _ in range(epochs):
        for ids, mask, y in loader:  # every batch is (16, 128), whatever the sentence lengths
            loss = model(input_ids=ids.to(device), attention_mask=mask.to(device), labels=y.to(device)).loss
            loss.backward()
            opt.step()
            opt.zero_grad()
    seconds = time.perf_counter() - start
    model.eval()
    preds = []
    with torch.no_grad():
        for ids, mask, _ in DataLoader(enc(val), batch_size=128):
            preds += model(input_ids=ids.to(device), attention_mask=mask.to(device)).logits.argmax(-1).tolist()
    return seconds, cu.classification_metrics(list(val["label"]), preds)["accuracy"], f"fixed padding to {FIXED_LENGTH}, batch 16"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n-train", type=int, default=None, help="SST-2 training rows (default: all 6,920)")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--lr", type=float, default=1e-4, help="peak learning rate for all three (default 1e-4, suits MiniLM)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--markdown", action="store_true")
    p.add_argument("--skip-fp32-helper", action="store_true", help="skip the 4th row (the helper forced to fp32)")
    args = p.parse_args(argv)

    env = cu.setup(chapter="bench-04")
    dsd = cu.load_course_dataset("sst2", profile="cpu")  # full SST-2 train and validation
    train = cu.stratified_subsample(dsd["train"], args.n_train, "label", seed=0)
    val = dsd["validation"]
    tok = cu.load_tokenizer("encoder")
    n_ex = len(train) * args.epochs
    lengths = [len(x) for x in tok(list(train["text"]), truncation=True, max_length=FIXED_LENGTH)["input_ids"]]
    print(f"{len(train):,} SST-2 training sentences x {args.epochs} epoch(s) = {n_ex:,} examples; mean length "
          f"{np.mean(lengths):.1f} tokens; device {env.device}, {torch.get_num_threads()} thread(s)")
    rows = []
    contenders = [("course helper", lambda: helper(train, val, args.epochs, args.lr, args.seed)),
                  ("Trainer defaults", lambda: trainer_defaults(train, val, args.epochs, args.lr, args.seed, tok)),
                  ("fixed padding", lambda: fixed_padding(train, val, args.epochs, args.lr, args.seed, tok))]
    if not args.skip_fp32_helper:
        contenders.append(("helper, fp32", lambda: helper(train, val, args.epochs, args.lr, args.seed, "no")))
    for name, fn in contenders:
        seconds, acc, how = fn()
        rows.append((name, how, seconds, n_ex / seconds, acc))
        print(f"  {name}: {seconds:.1f} s training, {n_ex / seconds:.1f} examples/s, validation accuracy {acc:.4f}",
              flush=True)
    helper_speed = rows[0][3]
    print(f"\n{'contender':<18}{'setup':<52}{'train s':>9}{'ex/s':>8}{'helper is':>11}{'val acc':>9}")
    for name, how, sec, speed, acc in rows:
        print(f"{name:<18}{how:<52}{sec:>9.1f}{speed:>8.1f}{helper_speed / speed:>10.2f}x{acc:>9.4f}")
    if args.markdown:
        print(f"\n| contender | setup | train s | examples/s | helper speed-up | val. accuracy |\n|---|---|---:|---:|---:|---:|")
        for name, how, sec, speed, acc in rows:
            print(f"| {name} | {how} | {sec:.0f} | {speed:.1f} | {helper_speed / speed:.2f}x | {acc:.4f} |")
    return rows


if __name__ == "__main__":
    main()
