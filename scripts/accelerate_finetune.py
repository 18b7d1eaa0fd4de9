"""Fine-tune a classifier with the course helper, in one process or several (data parallel).

One process (CPU, one GPU):
    python scripts/accelerate_finetune.py --dataset sst2 --epochs 3
Several GPUs (one process per GPU; `accelerate config` once, or pass the flags):
    accelerate launch --multi_gpu --num_processes 2 scripts/accelerate_finetune.py --dataset sst2 --fp16
Several CPU processes (gloo; the same code path as several GPUs, e.g. to try it on a laptop):
    ACCELERATE_USE_CPU=true OMP_NUM_THREADS=1 torchrun --nproc_per_node 2 scripts/accelerate_finetune.py --dataset sst2
Your own data (CSV files with a text and a label column, labels 0..K-1) and a local model folder:
    python scripts/accelerate_finetune.py --train my_train.csv --eval my_eval.csv --text-column review --model ./my_bert

`course_utils.training.fine_tune` is written with Accelerate: the same code runs in every case. The batch size is
per process, so 2 processes with --batch-size 32 train with 64 sentences per optimizer step (use --batch-size 16
on 2 processes to match a 1-process run with --batch-size 32). Each process trains on its own share of every
epoch's batches; evaluation gathers all eval rows exactly once. Only the main process prints (one JSON line at
the end, after one line per epoch) and saves.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without installing

import course_utils as cu  # noqa: E402
from course_utils.training import fine_tune, process_state  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = p.add_mutually_exclusive_group()
    src.add_argument("--dataset", default="sst2", help="course dataset: sst2, imdb or trec (default sst2)")
    src.add_argument("--train", help="CSV file with your training data (use with --eval)")
    p.add_argument("--eval", help="CSV file with your evaluation data")
    p.add_argument("--text-column", default=None)
    p.add_argument("--label-column", default=None)
    p.add_argument("--model", default="encoder",
                   help="role, hub id or local folder with config, weights and tokenizer (default: the profile's encoder)")
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch-size", type=int, help="per process")
    p.add_argument("--lr", type=float)
    p.add_argument("--max-length", type=int)
    p.add_argument("--grad-accum", type=int, default=1)
    p.add_argument("--mixed-precision", default="auto", choices=["auto", "no", "fp16", "bf16"])
    p.add_argument("--fp16", action="store_true", help="shortcut for --mixed-precision fp16")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--output-dir", help="save the fine-tuned model and tokenizer here (safetensors)")
    p.add_argument("--predictions", help="write the eval predictions (one label id per eval row, in row order) "
                                         "to this JSON file")
    args = p.parse_args(argv)
    if args.eval and not args.train:
        p.error("--eval needs --train")
    if args.train and not args.eval:
        p.error("--train needs --eval")
    folder = Path(args.model).expanduser()
    if folder.is_dir():
        args.model = str(folder.resolve())  # a local folder (config.json, weights, tokenizer: save_pretrained)
    elif args.model.startswith((".", "/", "~")):
        p.error(f"--model {args.model}: no such folder (a local model is a folder with config.json, the weights "
                "and the tokenizer files, as written by save_pretrained)")
    return args


def load_data(args, verbose: bool):
    """(train, eval, text column, label column, name) from --train/--eval CSV files or a course dataset."""
    import pandas as pd

    if args.train:
        for path in (args.train, args.eval):
            if not Path(path).is_file():
                raise SystemExit(f"error: {path}: no such file")
        return (pd.read_csv(args.train), pd.read_csv(args.eval), args.text_column or "text",
                args.label_column or "label", Path(args.train).stem)

    dsd = cu.load_course_dataset(args.dataset, verbose=verbose)
    evaluation = dsd["validation"] if "validation" in dsd else dsd["test"]
    return (dsd["train"], evaluation, "text", "label", args.dataset)  # course schema


def main(argv=None) -> dict:
    args = parse_args(argv)
    state = process_state()  # not a bare PartialState(): that one ignores ACCELERATE_USE_CPU (1 process per rank)
    train, evaluation, text_col, label_col, name = load_data(args, verbose=state.is_main_process)
    try:
        res = fine_tune(
            args.model, train, evaluation, text_col, label_col, epochs=args.epochs, batch_size=args.batch_size,
            learning_rate=args.lr, max_length=args.max_length, grad_accum_steps=args.grad_accum,
            mixed_precision="fp16" if args.fp16 else args.mixed_precision, seed=args.seed,
            progress=state.is_main_process,
        )
    except (ValueError, TypeError) as exc:  # bad data or arguments: one line, not a traceback per process
        raise SystemExit(f"error: {exc}") from None
    summary = {"data": name, "model": res.checkpoint, "processes": res.processes, "rank": state.process_index,
               "mixed_precision": res.mixed_precision, "epochs": len(res.history),
               "train_rows": len(train), "train_rows_per_process": res.train_rows_per_process,
               "train_examples_per_second": round(res.train_examples_per_second, 1),
               **{k: round(v, 4) for k, v in res.metrics.items()}}
    if state.is_main_process:
        for row in res.history:
            print({k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()})
        if args.output_dir:
            res.model.save_pretrained(args.output_dir)
            res.tokenizer.save_pretrained(args.output_dir)
            print(f"saved to {args.output_dir}")
        if args.predictions:
            Path(args.predictions).write_text(json.dumps(res.eval_predictions.tolist()))
        print(json.dumps(summary), flush=True)
    state.wait_for_everyone()  # nobody exits (and tears down the process group) while the main one still saves
    if state.num_processes > 1:
        state.destroy_process_group()
    return summary


if __name__ == "__main__":
    main()
