"""The README's timings table is generated from measured notebook metadata and the committed gpu estimates."""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import timings_table  # noqa: E402


def test_readme_timings_come_from_the_metadata():
    assert timings_table.table() in (ROOT / "README.md").read_text(), (
        "re-run `python scripts/timings_table.py` and paste its table into the README")


def test_every_committed_chapter_records_its_cpu_run():
    for row in timings_table.rows():
        assert row["profile"] == "cpu", row
        assert isinstance(row["seconds"], int) and row["seconds"] > 0 and row["cpus"] and row["date"], row


def test_headers_state_the_measured_cpu_time():
    import json

    for row in timings_table.rows():
        title = "".join(json.loads((ROOT / "chapters" / row["notebook"]).read_text())["cells"][0]["source"])
        assert timings_table.cpu_phrase(row) in title, (
            f"{row['notebook']}: run `python scripts/timings_table.py --headers`")
