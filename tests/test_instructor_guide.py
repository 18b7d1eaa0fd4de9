"""The instructor guide (docs/instructor_guide.md) is generated from measured metadata, and says so correctly."""
import json
import math
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import build_guide  # noqa: E402
import measure_smoke  # noqa: E402

GUIDE = ROOT / "docs" / "instructor_guide.md"
NOTEBOOKS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))


def metadata(nb: Path) -> dict:
    return json.loads(nb.read_text())["metadata"].get("course", {})


def minutes(seconds: int) -> str:  # the course's one way to print minutes (scripts/timings_table.py)
    m = seconds / 60
    return f"{m:.1f}" if m < 10 else f"{m:.0f}"


def sections(text: str) -> dict[str, str]:
    """Chapter number -> the text of its "### Chapter NN" section."""
    parts = re.split(r"^### Chapter (\d\d) — ", text, flags=re.M)
    return {parts[i]: parts[i + 1].split("\n## ")[0] for i in range(1, len(parts), 2)}


def times_line(section: str) -> str:
    return next(line for line in section.splitlines() if line.startswith("**Times:**"))


def test_guide_is_up_to_date():
    assert build_guide.main(["--check"]) == 0, "run `python scripts/build_guide.py` and commit docs/instructor_guide.md"


def test_every_chapter_has_its_section_and_row():
    text = GUIDE.read_text()
    secs = sections(text)
    for nb in NOTEBOOKS:
        number = nb.name[:2]
        assert number in secs, f"chapter {number} has no section in the guide"
        for heading in ("**Learning goals**", "**Times:**", "**Prerequisites:**", "**Where learners get stuck",
                        "**Discussion prompts**", "**Exercises:**"):
            assert heading in secs[number], f"chapter {number}: no {heading}"
        assert re.search(rf"^\| {number} ", text, re.M), f"chapter {number}: no row in the timings table"


def test_every_time_equals_the_measured_or_estimated_value():
    text = GUIDE.read_text()
    secs = sections(text)
    smoke = json.loads(build_guide.SMOKE.read_text()) if build_guide.SMOKE.exists() else {}
    gpu = json.loads((ROOT / "results" / "gpu_estimates.json").read_text())["chapters"]
    for nb in NOTEBOOKS:
        number, meta = nb.name[:2], metadata(nb)
        line = times_line(secs[number])
        cpu = re.search(r"([\d.]+) min in the `cpu` profile, measured on (\d+) CPUs \(([\d-]+)\)", line)
        assert cpu, line
        assert cpu.groups() == (minutes(meta["run_seconds"]), str(meta["run_cpus"]), meta["run_date"]), number
        s = re.search(r"([\d.]+) min in the `smoke` profile, measured on (\d+) CPUs \(([\d-]+)\)", line)
        if number in smoke:
            assert s and s.groups() == (minutes(smoke[number]["seconds"]), str(smoke[number]["cpus"]),
                                        smoke[number]["date"]), number
        else:
            assert s is None and "`smoke` profile: not measured" in line, number
        g = re.search(r"~(\d+) min of GPU work in the `gpu` profile on a T4 \(estimated", line)
        est = gpu[number]["minutes"]
        if est:
            assert g and g.group(1) == f"{est:.0f}", number
        else:
            assert g is None and "no GPU estimate" in line, number
        row = re.search(rf"^\| {number} [^|]*\| ([^|]*) \| ([^|]*) \| ([^|]*) \|", text, re.M)
        assert row.group(1).startswith(f"{minutes(meta['run_seconds'])} min ({meta['run_cpus']} CPUs, ")
        assert row.group(2).startswith(f"{minutes(smoke[number]['seconds'])} min") if number in smoke \
            else row.group(2) == "not measured"
        assert row.group(3) == (f"~{est:.0f} min (estimated)" if est else "not estimated (no transformer training)")


def parse_schedules(text: str) -> list[dict]:
    """Every timetable: its rows (start, minutes, what, breakdown) and its end/total/budget line."""
    tables, rows = [], []
    for line in text.splitlines():
        m = re.match(r"^\| (\d\d):(\d\d) \| (\d+) \| (.*?) \| (.*?) \|$", line)
        if m:
            rows.append(dict(start=int(m[1]) * 60 + int(m[2]), minutes=int(m[3]), what=m[4], how=m[5]))
            continue
        end = re.match(r"^\| end (\d\d):(\d\d) \| \*\*(\d+)\*\* \| \*\*total\*\* \(budget (\d+) min\)", line)
        if end:
            tables.append(dict(rows=rows, end=int(end[1]) * 60 + int(end[2]), total=int(end[3]), budget=int(end[4])))
            rows = []
    return tables


def test_schedules_add_up_and_book_the_measured_run_times():
    tables = parse_schedules(GUIDE.read_text())
    days = sum(f.days for f in build_guide.FORMATS.values())
    assert len(tables) == days, "one timetable per day of every format"
    runs = {nb.name[:2]: metadata(nb)["run_seconds"] for nb in NOTEBOOKS}
    for t in tables:
        assert t["rows"], t
        assert sum(r["minutes"] for r in t["rows"]) == t["total"] <= t["budget"]
        for a, b in zip(t["rows"], t["rows"][1:]):
            assert b["start"] == a["start"] + a["minutes"], (a, b)
        assert t["end"] == t["rows"][-1]["start"] + t["rows"][-1]["minutes"]
        for r in t["rows"]:
            parts = re.findall(r"([a-z-]+) (\d+)(?: \([^)]*\))?", r["how"])
            if not parts:
                continue
            assert sum(int(v) for _, v in parts) == r["minutes"], r
            chapter = re.match(r"Chapter (\d\d) ", r["what"]).group(1)
            run = dict(parts).get("run")
            if "run live" in r["what"]:
                assert int(run) == math.ceil(runs[chapter] / 60), r
            else:
                assert run is None and "demo" in r["what"], r
    for fmt in build_guide.FORMATS.values():  # a chapter over the live limit runs live only where a format says so
        if fmt.long_runs:
            continue
        plan = build_guide.build_plan(fmt, build_guide.load_chapters(), build_guide.live_exercises(
            build_guide.SRC.read_text(), build_guide.load_chapters()))
        for number in plan.chapters("live"):
            assert runs[number] <= build_guide.LIVE_LIMIT_S, (fmt.key, number)


def test_no_placeholder_is_left_and_unknown_ones_stop_the_build():
    assert "{{" not in GUIDE.read_text() and "}}" not in GUIDE.read_text()
    with pytest.raises(build_guide.GuideError, match="unknown placeholder"):
        build_guide.render("{{time:04:tpu}}")
    with pytest.raises(build_guide.GuideError, match="chapter 04 has no exercise 4.9"):
        build_guide.render("{{exercises:04:live=4.9}}")
    with pytest.raises(build_guide.GuideError, match="CHAPTER_SIZES has no 'nope'"):
        build_guide.render("{{size:04:cpu:nope}}")


def test_a_missing_smoke_time_renders_as_not_measured(tmp_path, monkeypatch):
    smoke = tmp_path / "smoke_times.json"
    smoke.write_text(json.dumps({"03": {"seconds": 125, "cpus": 4, "date": "2030-01-02"}}))
    monkeypatch.setattr(build_guide, "SMOKE", smoke)
    text = build_guide.render()
    secs = sections(text)
    assert "2.1 min in the `smoke` profile, measured on 4 CPUs (2030-01-02)" in times_line(secs["03"])
    for number in secs:
        if number != "03":
            assert "`smoke` profile: not measured" in times_line(secs[number]), number
    assert "not measured for every chapter (1 of" in text
    smoke.unlink()  # no file at all: every chapter "not measured"
    text = build_guide.render()
    assert all("`smoke` profile: not measured" in times_line(s) for s in sections(text).values())


def test_measure_smoke_runs_a_copy_in_the_smoke_profile(tmp_path, monkeypatch):
    import nbformat

    chapters = tmp_path / "chapters"
    chapters.mkdir()
    ok = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import os, pathlib\n"
        "assert os.environ['COURSE_PROFILE'] == 'smoke'\n"
        "assert pathlib.Path.cwd().name == 'chapters' and 'smoke_' in str(pathlib.Path.cwd())\n"
        "pathlib.Path(os.environ['COURSE_RESULTS']).write_text('x')\n")])
    bad = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("raise RuntimeError('boom')")])
    nbformat.write(ok, chapters / "00_ok.ipynb")
    nbformat.write(bad, chapters / "01_bad.ipynb")
    before = (chapters / "00_ok.ipynb").read_bytes()
    out = tmp_path / "smoke_times.json"
    out.write_text(json.dumps({"01": {"seconds": 7, "cpus": 1, "date": "2030-01-01"}}))
    monkeypatch.setattr(measure_smoke, "ROOT", tmp_path)
    for var in ("COURSE_PROFILE", "COURSE_RESULTS"):  # main() sets them; monkeypatch restores them afterwards
        monkeypatch.setenv(var, "unset-by-test")
    assert measure_smoke.main(["--out", str(out), "--timeout", "120"]) == 1  # chapter 01 fails
    times = json.loads(out.read_text())
    assert set(times["00"]) == {"seconds", "cpus", "date"} and isinstance(times["00"]["seconds"], int)
    assert times["01"] == {"seconds": 7, "cpus": 1, "date": "2030-01-01"}  # the failed chapter keeps its entry
    assert (chapters / "00_ok.ipynb").read_bytes() == before  # the chapter itself is never written
    with pytest.raises(SystemExit, match="unknown chapter '09'"):
        measure_smoke.chapter_notebooks(["09"])
