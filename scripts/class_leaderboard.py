"""Class leaderboard: merge every learner's results/results.csv into one ranked table per dataset.

    python scripts/class_leaderboard.py collected/                       # a folder of CSVs (searched recursively)
    python scripts/class_leaderboard.py alice.csv bob.csv --dataset sst2 --metric accuracy --plot board.png
    python scripts/class_leaderboard.py collected/ --name-from parent    # collected/<learner>/results.csv

Learner name: the file stem (alice.csv), or the folder for a file called results.csv (alice/results.csv);
--name-from stem | parent | regex:PATTERN (first group) overrides it.
Only measured rows count (source "published" = numbers cited from papers are dropped). Profiles are never mixed:
each (dataset, split, profile) gets its own table, because a cpu-profile run trains on less data than a gpu one;
smoke-profile rows (CI-sized, meaningless) are left out unless --profile smoke. --profile NAME shows one profile.
A malformed file (missing columns, non-numeric value, not a CSV) is reported in one line naming the file and the
problem, and the others are still ranked. Exit code: 0 all files used; 2 some file was rejected (with --strict the
first malformed file stops the run, no table); 1 no measured rows to show.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from a checkout without an editable install
    sys.path.insert(0, str(ROOT))

from course_utils import classboard as cb  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    doc = __doc__.split("\n\n")
    parser = argparse.ArgumentParser(description=doc[0], epilog="\n\n".join(doc[1:]),
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+", metavar="FILE_OR_DIR")
    parser.add_argument("--dataset", help="only this dataset (default: every dataset)")
    parser.add_argument("--metric", default="accuracy", help="metric to rank by (default: accuracy)")
    parser.add_argument("--profile", help="only this profile (default: each profile in its own table, smoke left out)")
    parser.add_argument("--name-from", default="auto", help="auto (default), stem, parent or regex:PATTERN")
    parser.add_argument("--plot", metavar="PNG", help="also save a bar chart per table")
    parser.add_argument("--strict", action="store_true", help="stop at the first malformed file")
    args = parser.parse_args(argv)
    if not (args.name_from in ("auto", "stem", "parent") or args.name_from.startswith("regex:")):
        parser.error("--name-from must be auto, stem, parent or regex:PATTERN")

    files = cb.find_files(args.paths)
    if not files:
        print("no CSV files found in " + ", ".join(args.paths))
        return 1
    try:
        frames, rejected = cb.read_all(files, args.name_from, strict=args.strict)
    except cb.MalformedResultsFile as exc:
        print(f"rejected: {exc}")
        print("stopped (--strict): fix or remove that file")
        return 2
    for line in rejected:
        print(f"rejected: {line}")
    board = cb.measured_rows(cb.merge(frames))
    print(f"{len(frames)} learner file(s) read, {len(rejected)} rejected; {len(board)} measured row(s)")
    scope = board[board["metric"] == args.metric]
    if args.dataset:
        scope = scope[scope["dataset"] == args.dataset]
    if not scope.empty:
        shown, left_out = cb.profile_groups(scope.assign(
            profile=scope["profile"].fillna("").replace("", "unknown")), args.profile)
        if left_out:
            print(f"profiles not shown: {', '.join(left_out)} (pick one with --profile NAME); "
                  f"each profile gets its own table, never mixed")
    tables = cb.leaderboards(board, args.dataset, args.metric, args.profile)
    if not tables:
        what = f"dataset {args.dataset}, " if args.dataset else ""
        print(f"no measured rows for {what}metric {args.metric}"
              + (f", profile {args.profile}" if args.profile else ""))
        return 2 if rejected else 1
    for key, table in tables:
        print()
        print(cb.format_table(key, table))
    if args.plot:
        print(f"\nplot: {cb.plot(tables, args.plot)}")
    return 2 if rejected else 0


if __name__ == "__main__":
    sys.exit(main())
