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


def test_the_cpu_profile_description_states_a_bound_every_chapter_meets():
    """The cpu profile's description claims "each chapter measured <= N min on C cores": every recorded run must
    meet it (a chapter that outgrows it must be sped up, or the description changed)."""
    import re

    from course_utils.profiles import PROFILES

    claim = re.search(r"<= (\d+) min on (\d+) cores", PROFILES["cpu"].description)
    assert claim, "the cpu profile description should state its measured bound, e.g. '<= 15 min on 2 cores'"
    bound_s, cores = int(claim.group(1)) * 60, int(claim.group(2))
    over = [f"{r['notebook']}: {r['seconds']} s on {r['cpus']} CPUs" for r in timings_table.rows()
            if not (r["seconds"] and r["seconds"] <= bound_s and r["cpus"] <= cores)]
    assert not over, f"over the cpu profile's stated bound of {bound_s} s on {cores} cores: {over}"
    total = sum(r["seconds"] for r in timings_table.rows())
    assert total <= 75 * 60, f"the whole course takes {total} s in the cpu profile: more than a 75-minute class block"
