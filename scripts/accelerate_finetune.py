"""Fine-tune a classifier with the course helper, on one device or several GPUs.

One process (CPU, one GPU):
    python scripts/accelerate_finetune.py --dataset sst2 --epochs 3
Several GPUs (data parallel, one process per GPU; `accelerate config` once, or pass the flags):
    accelerate launch --multi_gpu --num_processes 2 scripts/accelerate_finetune.py --dataset sst2 --fp16
Your own data (CSV files with a text and a label column, labels 0..K-1):
    python scripts/accelerate_finetune.py --train my_train.csv --eval my_eval.csv --text-column review

`course_utils.training.fine_tune` is written with Accelerate: the same code runs in every case; the batch size is
per device, so 2 GPUs with --batch-size 32 train with 64 sentences per optimizer step. Only the main process prints
and saves.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without installing

import course_utils as cu  # noqa: E402
from course_utils.training import fine_tune  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = p.add_mutually_exclusive_group()
    src.add_argument("--dataset", default="sst2", help="course dataset: sst2, imdb or trec (default sst2)")
    src.add_argument("--train", help="CSV file with your training data (use with --eval)")
    p.add_argument("--eval", help="CSV file with your evaluation data")
    p.add_argument("--text-column", default=None)
    p.add_argument("--label-column", default=None)
    p.add_argument("--model", default="encoder", help="role, hub id or local folder (default: the profile's encoder)")
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch-size", type=int, help="per device")
    p.add_argument("--lr", type=float)
    p.add_argument("--max-length", type=int)
    p.add_argument("--grad-accum", type=int, default=1)
    p.add_argument("--mixed-precision", default="auto", choices=["auto", "no", "fp16", "bf16"])
    p.add_argument("--fp16", action="store_true", help="shortcut for --mixed-precision fp16")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--output-dir", help="save the fine-tuned model and tokenizer here (safetensors)")
    return p.parse_args(argv)


def main(argv=None) -> dict:
    import pandas as pd
    from accelerate import PartialState

    args = parse_args(argv)
    state = PartialState()
    if args.train:
        if not args.eval:
            raise SystemExit("--train needs --eval")
        train, evaluation = pd.read_csv(args.train), pd.read_csv(args.eval)
        text_col, label_col = args.text_column or "text", args.label_column or "label"
        name = Path(args.train).stem
    else:
        from course_utils.data import label_column, text_column

        dsd = cu.load_course_dataset(args.dataset, verbose=state.is_main_process)
        train = dsd["train"]
        evaluation = dsd["validation"] if "validation" in dsd else dsd["test"]
        text_col = args.text_column or text_column(args.dataset)
        label_col = args.label_column or label_column(args.dataset)
        name = args.dataset
    res = fine_tune(
        args.model, train, evaluation, text_col, label_col, epochs=args.epochs, batch_size=args.batch_size,
        learning_rate=args.lr, max_length=args.max_length, grad_accum_steps=args.grad_accum,
        mixed_precision="fp16" if args.fp16 else args.mixed_precision, seed=args.seed,
        progress=state.is_main_process,
    )
    summary = {"data": name, "model": res.checkpoint, "processes": state.num_processes,
               "train_examples_per_second": round(res.train_examples_per_second, 1),
               **{k: round(v, 4) for k, v in res.metrics.items()}}
    if state.is_main_process:
        for row in res.history:
            print({k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()})
        print(json.dumps(summary))
        if args.output_dir:
            res.model.save_pretrained(args.output_dir)
            res.tokenizer.save_pretrained(args.output_dir)
            print(f"saved to {args.output_dir}")
    return summary


if __name__ == "__main__":
    main()
