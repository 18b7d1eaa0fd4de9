"""Fill the local cache before a workshop: ``python -m course_data sst2 imdb trec`` (all datasets if none named)."""
import sys

from course_data import DatasetUnavailableError, load_raw, registry


def main(argv: list[str]) -> int:
    names = argv or sorted(registry())
    for name in names:
        try:
            dsd, report = load_raw(name)
        except (ValueError, DatasetUnavailableError) as exc:
            print(f"FAILED {name}: {exc}")
            return 1
        sizes = ", ".join(f"{split} {len(ds):,}" for split, ds in dsd.items())
        print(f"ok {report} [{sizes}]")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
