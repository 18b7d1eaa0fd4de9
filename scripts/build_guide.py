"""Render the instructor guide, docs/instructor_guide.md, from its source and the course's measured metadata.

    python scripts/build_guide.py            # (re)write docs/instructor_guide.md
    python scripts/build_guide.py --check    # exit 1 when the committed guide differs from what would be written

The hand-written text lives in docs/instructor_guide.src.md. Every time and size in the guide is a placeholder
filled here, never typed:

- ``cpu`` times: each notebook's metadata (``course.run_seconds``, ``run_cpus``, ``run_date``), written by
  scripts/execute_notebooks.sh (the same source as the README's timings table, scripts/timings_table.py);
- ``smoke`` times: results/smoke_times.json, written by scripts/measure_smoke.py ("not measured" when absent);
- ``gpu`` times: the *estimates* in results/gpu_estimates.json (scripts/estimate_gpu_times.py);
- sizes: ``course_utils.profiles`` (``PROFILES``, ``CHAPTER_SIZES``);
- learning goals, prerequisites ("Needs") and exercise titles: read from each chapter notebook's markdown;
- schedules: built below from the measured ``cpu`` times plus the planning overheads in ``OVERHEADS`` (stated in the
  guide as assumptions).

Placeholders (``{{...}}`` in the source): ``timings_table``, ``times:NN``, ``time:NN:cpu|smoke|gpu``, ``title:NN``,
``goals:NN``, ``needs:NN``, ``exercises:NN:live=A,B`` (the live exercises of chapter NN; the others are "at home"),
``size:NN:PROFILE:KEY[:len]``, ``profile:PROFILE:ATTR[:DATASET]``, ``gpu_largest:NN``, ``schedule:FORMAT``,
``fits:FORMAT``, ``spare:FORMAT``, ``format:FORMAT:minutes|hours``, ``overhead:NAME``, ``overheads``, ``live_limit``,
``total:cpu|smoke``. An unknown placeholder or a missing exercise stops the build with one line.
"""
from __future__ import annotations

import argparse
import json
import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))
import timings_table  # noqa: E402
from course_utils import profiles  # noqa: E402

SRC = ROOT / "docs" / "instructor_guide.src.md"
OUT = ROOT / "docs" / "instructor_guide.md"
SMOKE = ROOT / "results" / "smoke_times.json"

# Planning overheads of the schedules, in minutes. These are ASSUMPTIONS of the plan (stated in the guide), not
# measurements; only the chapters' run times are measured.
OVERHEADS = {
    "start": 20,        # day one: welcome, environment doctor, Colab runtime check
    "day_start": 10,    # later days: recap and questions
    "teach": 15,        # per chapter: walk through the ideas and the "What to notice" cells
    "exercise": 10,     # per exercise done live
    "discuss": 10,      # per chapter: discussion prompts
    "demo": 20,         # per demoed chapter: walk through its committed outputs instead of running it
    "break": 15,
    "lunch": 60,
    "wrap": 15,         # last day: class leaderboard and feedback form
}
OVERHEAD_WORDS = {
    "start": "opening (welcome, environment doctor, Colab runtime check)",
    "day_start": "opening of a later day (recap, questions)",
    "teach": "teaching per chapter",
    "exercise": "per exercise done live",
    "discuss": "discussion per chapter",
    "demo": "walk-through of a demoed chapter's committed outputs",
    "break": "a break",
    "lunch": "lunch",
    "wrap": "wrap-up (leaderboard, feedback)",
}
BREAK_EVERY = 90   # minutes of class after which the next chapter boundary gets a break
LUNCH_AFTER = 150  # minutes into a day after which the next break is lunch (formats with lunch)
LIVE_LIMIT_S = profiles.CPU_CHAPTER_MAX_MIN * 60  # a chapter runs live in class when its measured cpu time is within the cpu profile's bound
CLOCK_START = 9 * 60  # 09:00


@dataclass(frozen=True)
class Format:
    key: str
    title: str
    days: int
    day_minutes: int
    lunch: bool
    exercises: str  # "live": the live exercises named in the source; "all": every exercise
    long_runs: bool = False  # run chapters over the live limit live too (whole run booked in the timetable)


FORMATS = {
    "half_day": Format("half_day", "Half day", 1, 210, False, "live"),
    "one_day": Format("one_day", "One day", 1, 420, True, "live"),
    "two_days": Format("two_days", "Two days", 2, 420, True, "all", long_runs=True),
}


class GuideError(Exception):
    """A problem in the guide's source or data, reported in one line."""


# --- data ------------------------------------------------------------------------------------------------------


@dataclass
class Chapter:
    number: str
    notebook: str
    title: str
    cpu_seconds: int | None
    cpu_cpus: int | None
    cpu_date: str | None
    gpu_minutes: float | None
    smoke: dict | None
    goals: list[str]
    needs: str
    exercises: dict[str, str] = field(default_factory=dict)  # "4.1" -> title

    @property
    def run_minutes(self) -> int:
        """Measured cpu time rounded up to whole minutes (what a schedule books)."""
        return math.ceil(self.cpu_seconds / 60)

    @property
    def short_title(self) -> str:
        return self.title.split(":")[0]

    @property
    def runs_live(self) -> bool:
        return self.cpu_seconds is not None and self.cpu_seconds <= LIVE_LIMIT_S


GOALS_RE = re.compile(r"^\*\*(In this chapter you will|Learning objectives|You will learn to)\*\*\s*$")
NEEDS_RE = re.compile(r"\*\*Needs(?::\*\*|\*\*:)\s*(.*?)(?=\n\s*\n|\n\*\*|\Z)", re.S)
ITEM_RE = re.compile(r"^(?:- |\d+\. )(.*)$")
EXERCISE_RE = re.compile(r"Exercise (\d+\.\d+)(.*)")


def _goals(title_md: str) -> list[str]:
    lines = title_md.splitlines()
    start = next((i for i, line in enumerate(lines) if GOALS_RE.match(line.strip())), None)
    if start is None:
        return []
    items: list[str] = []
    for line in lines[start + 1:]:
        if not line.strip():
            break
        m = ITEM_RE.match(line.strip())
        if m:
            items.append(m.group(1).strip())
        elif items:
            items[-1] += " " + line.strip()
    return items


def _exercise_title(rest: str) -> str:
    rest = rest.strip()
    if rest[:1] in "—–-":
        return rest[1:].split("**")[0].strip().rstrip(".")
    after = rest.split("**", 2)[1] if rest.startswith(".**") or rest.startswith("**") else rest
    return re.split(r"(?<=[.?!])\s", after.strip(), maxsplit=1)[0].rstrip(".")


def _exercises(cells: list[dict]) -> dict[str, str]:
    out = {}
    for cell in cells:
        if cell["cell_type"] != "markdown":
            continue
        for para in "".join(cell["source"]).split("\n\n"):
            para = para.strip()
            if para.startswith("#"):  # "### Exercise 1.1 — title": the heading line only
                para = para.splitlines()[0]
            para = " ".join(para.split())
            m = EXERCISE_RE.search(para)
            if m and m.start() < 8 and m.group(1) not in out:  # a heading or a bold lead-in, not a mention
                out[m.group(1)] = _exercise_title(m.group(2))
    return out


def load_smoke() -> dict:
    return json.loads(SMOKE.read_text()) if SMOKE.exists() else {}


def load_chapters() -> dict[str, Chapter]:
    smoke = load_smoke()
    chapters = {}
    for row in timings_table.rows():
        nb = json.loads((ROOT / "chapters" / row["notebook"]).read_text())
        title_md = "".join(nb["cells"][0]["source"])
        heading = title_md.splitlines()[0]
        title = re.sub(r"^#\s*Chapter \d+\s*[—–-]\s*", "", heading).strip()
        needs = NEEDS_RE.search(title_md)
        chapters[row["chapter"]] = Chapter(
            number=row["chapter"], notebook=row["notebook"], title=title,
            cpu_seconds=row["seconds"], cpu_cpus=row["cpus"], cpu_date=row["date"],
            gpu_minutes=row["gpu_estimate_min"], smoke=smoke.get(row["chapter"]),
            goals=_goals(title_md), needs=" ".join(needs.group(1).split()) if needs else "",
            exercises=_exercises(nb["cells"]))
    return chapters


# --- phrases -----------------------------------------------------------------------------------------------------


def cpu_phrase(ch: Chapter) -> str:
    if not ch.cpu_seconds:
        return "`cpu` profile: not measured"
    return timings_table.cpu_phrase({"seconds": ch.cpu_seconds, "cpus": ch.cpu_cpus, "date": ch.cpu_date})


def smoke_phrase(ch: Chapter) -> str:
    s = ch.smoke
    if not s or not s.get("seconds"):
        return "`smoke` profile: not measured"
    return (f"{timings_table.minutes(s['seconds'])} min in the `smoke` profile, measured on {s['cpus']} CPUs "
            f"({s['date']})")


def gpu_phrase(ch: Chapter) -> str:
    if not ch.gpu_minutes:
        return "`gpu` profile: no transformer training here, so no GPU estimate"
    return f"~{ch.gpu_minutes:.0f} min of GPU work in the `gpu` profile on a T4 (estimated from FLOPs, not measured)"


def timings_table_md(chapters: dict[str, Chapter]) -> str:
    lines = ["| chapter | `cpu` profile, measured | `smoke` profile, measured | `gpu` profile on a T4, estimated "
             "| in class |", "|---|---|---|---|---|"]
    for ch in chapters.values():
        cpu = (f"{timings_table.minutes(ch.cpu_seconds)} min ({ch.cpu_cpus} CPUs, {ch.cpu_date})"
               if ch.cpu_seconds else "not measured")
        smoke = (f"{timings_table.minutes(ch.smoke['seconds'])} min ({ch.smoke['cpus']} CPUs, {ch.smoke['date']})"
                 if ch.smoke and ch.smoke.get("seconds") else "not measured")
        gpu = f"~{ch.gpu_minutes:.0f} min (estimated)" if ch.gpu_minutes else "not estimated (no transformer training)"
        live = "short enough to run live" if ch.runs_live else "over the live limit: demo, or book the whole run"
        lines.append(f"| {ch.number} {ch.title} | {cpu} | {smoke} | {gpu} | {live} |")
    return "\n".join(lines)


def fmt_size(value) -> str:
    if value is None:
        return "all"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value >= 0.01:
            return f"{value:g}"
        mantissa, exponent = f"{value:e}".split("e")  # 2.5e-05 -> "2.5e-5", 0.0001 -> "1e-4"
        return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"
    if isinstance(value, (tuple, list)):
        return ", ".join(fmt_size(v) if not isinstance(v, str) else f"`{v}`" for v in value) or "none"
    return str(value)


# --- schedules ---------------------------------------------------------------------------------------------------


@dataclass
class Item:
    minutes: int
    what: str
    how: str = ""
    chapter: str | None = None
    mode: str | None = None  # "live" | "demo" for chapter blocks


@dataclass
class Plan:
    fmt: Format
    days: list[list[Item]]
    self_study: list[str]

    def chapters(self, mode: str) -> list[str]:
        return [i.chapter for day in self.days for i in day if i.mode == mode]


def chapter_block(ch: Chapter, mode: str, exercises: list[str]) -> Item:
    o = OVERHEADS
    if mode == "live":
        parts = [("teach", o["teach"]), ("run", ch.run_minutes)]
        if exercises:
            parts.append(("exercises", o["exercise"] * len(exercises)))
        parts.append(("discuss", o["discuss"]))
        how = " + ".join(f"{k} {v}" + (f" ({', '.join(exercises)})" if k == "exercises" else "") for k, v in parts)
        what = f"Chapter {ch.number} — {ch.short_title}: run live (`cpu` profile)"
    else:
        parts = [("teach", o["teach"]), ("walk-through", o["demo"]), ("discuss", o["discuss"])]
        how = " + ".join(f"{k} {v}" for k, v in parts)
        why = ("its measured `cpu` time is over the live limit" if not ch.runs_live
               else "no time left to run it")
        what = f"Chapter {ch.number} — {ch.short_title}: demo from committed outputs ({why})"
    return Item(sum(v for _, v in parts), what, how, ch.number, mode)


def build_plan(fmt: Format, chapters: dict[str, Chapter], live: dict[str, list[str]]) -> Plan:
    queue = list(chapters)
    days: list[list[Item]] = []
    for day in range(fmt.days):
        last = day == fmt.days - 1
        items = [Item(OVERHEADS["start"] if day == 0 else OVERHEADS["day_start"],
                      "Opening: welcome, `python -m course_utils.doctor`, Colab runtime check" if day == 0
                      else "Opening: recap of the day before, questions")]
        t, since_break, had_lunch = items[0].minutes, items[0].minutes, not fmt.lunch
        reserve = OVERHEADS["wrap"] if last else 0
        while queue:
            ch = chapters[queue[0]]
            exercises = list(ch.exercises) if fmt.exercises == "all" else live.get(ch.number, [])
            brk = None
            if since_break >= BREAK_EVERY:
                lunch = not had_lunch and t >= LUNCH_AFTER
                brk = Item(OVERHEADS["lunch" if lunch else "break"], "Lunch" if lunch else "Break")
            pause = brk.minutes if brk else 0
            # a chapter short enough to run live is demoed for lack of time only on the last day; before that it
            # moves to the next day
            can_run = ch.runs_live or (fmt.long_runs and ch.cpu_seconds is not None)
            modes = (["live", "demo"] if last else ["live"]) if can_run else ["demo"]
            block = next((b for b in (chapter_block(ch, m, exercises) for m in modes)
                          if t + pause + b.minutes + reserve <= fmt.day_minutes), None)
            if block is None:
                break
            if brk:
                items.append(brk)
                t += brk.minutes
                since_break = 0
                had_lunch = had_lunch or brk.what == "Lunch"
            items.append(block)
            t += block.minutes
            since_break += block.minutes
            queue.pop(0)
        if last:
            items.append(Item(OVERHEADS["wrap"], "Wrap-up: class leaderboard, feedback form"))
        days.append(items)
    return Plan(fmt, days, queue)


def clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def schedule_md(plan: Plan) -> str:
    out = []
    for d, items in enumerate(plan.days, 1):
        if plan.fmt.days > 1:
            out.append(f"**Day {d}**\n")
        out += ["| start | minutes | what | breakdown (minutes) |", "|---|---:|---|---|"]
        t = CLOCK_START
        for it in items:
            out.append(f"| {clock(t)} | {it.minutes} | {it.what} | {it.how} |")
            t += it.minutes
        total = sum(i.minutes for i in items)
        out.append(f"| end {clock(t)} | **{total}** | **total** (budget {plan.fmt.day_minutes} min) | |")
        out.append("")
    return "\n".join(out).rstrip()


def fits_md(plan: Plan) -> str:
    def names(nums):
        return ", ".join(nums) if nums else "none"

    return (f"Run live in the `cpu` profile: {names(plan.chapters('live'))}. "
            f"Demoed from the committed outputs: {names(plan.chapters('demo'))}. "
            f"Left for self-study: {names(plan.self_study)}.")


# --- rendering ---------------------------------------------------------------------------------------------------

PLACEHOLDER = re.compile(r"\{\{([^{}]+)\}\}")
HEADER = ("<!-- Generated by scripts/build_guide.py from docs/instructor_guide.src.md and the measured metadata: "
          "edit the source, then run `python scripts/build_guide.py`. -->\n")


def live_exercises(src: str, chapters: dict[str, Chapter]) -> dict[str, list[str]]:
    live = {}
    for m in PLACEHOLDER.finditer(src):
        parts = m.group(1).strip().split(":")
        if parts[0] != "exercises":
            continue
        if len(parts) != 3 or not parts[2].startswith("live="):
            raise GuideError(f"{{{{{m.group(1)}}}}}: write exercises:NN:live=A,B")
        number = parts[1]
        if number not in chapters:
            raise GuideError(f"{{{{{m.group(1)}}}}}: no chapter {number}")
        chosen = [x for x in parts[2][len("live="):].split(",") if x]
        missing = [x for x in chosen if x not in chapters[number].exercises]
        if missing:
            raise GuideError(f"chapter {number} has no exercise {', '.join(missing)} "
                             f"(it has {', '.join(chapters[number].exercises) or 'none'})")
        live[number] = chosen
    return live


def render(src: str | None = None) -> str:
    src = SRC.read_text() if src is None else src
    chapters = load_chapters()
    live = live_exercises(src, chapters)
    plans = {k: build_plan(f, chapters, live) for k, f in FORMATS.items()}
    smoke_known = [c.smoke["seconds"] for c in chapters.values() if c.smoke and c.smoke.get("seconds")]

    def chapter(num: str) -> Chapter:
        if num not in chapters:
            raise GuideError(f"no chapter {num!r} (chapters: {', '.join(chapters)})")
        return chapters[num]

    def fmt(key: str) -> Format:
        if key not in FORMATS:
            raise GuideError(f"no schedule format {key!r} (formats: {', '.join(FORMATS)})")
        return FORMATS[key]

    def one(match: re.Match) -> str:
        raw = match.group(1).strip()
        p = raw.split(":")
        kind = p[0]
        if kind == "timings_table" and len(p) == 1:
            return timings_table_md(chapters)
        if kind == "times" and len(p) == 2:
            ch = chapter(p[1])
            return f"{cpu_phrase(ch)}; {smoke_phrase(ch)}; {gpu_phrase(ch)}"
        if kind == "time" and len(p) == 3 and p[2] in ("cpu", "smoke", "gpu"):
            return {"cpu": cpu_phrase, "smoke": smoke_phrase, "gpu": gpu_phrase}[p[2]](chapter(p[1]))
        if kind == "title" and len(p) == 2:
            return chapter(p[1]).title
        if kind == "goals" and len(p) == 2:
            goals = chapter(p[1]).goals
            if not goals:
                raise GuideError(f"chapter {p[1]}: no learning goals found in its title cell")
            return "\n".join(f"- {g}" for g in goals)
        if kind == "needs" and len(p) == 2:
            return chapter(p[1]).needs or "nothing beyond the setup"
        if kind == "exercises" and len(p) == 3:
            ch = chapter(p[1])
            chosen = live[ch.number]
            home = [x for x in ch.exercises if x not in chosen]

            def names(ids):
                return "; ".join(f"Exercise {x} ({ch.exercises[x]})" for x in ids) or "none"

            return f"**Live:** {names(chosen)}. **At home:** {names(home)}."
        if kind == "size" and len(p) in (4, 5):
            number, prof, key = p[1], p[2], p[3]
            sizes = profiles.CHAPTER_SIZES.get(number, {}).get(prof)
            if sizes is None or key not in sizes:
                raise GuideError(f"{{{{{raw}}}}}: CHAPTER_SIZES has no {key!r} for chapter {number} / {prof}")
            value = sizes[key]
            if len(p) == 5:
                if p[4] != "len":
                    raise GuideError(f"{{{{{raw}}}}}: the only modifier is :len")
                return str(len(value))
            return fmt_size(value)
        if kind == "profile" and len(p) in (3, 4):
            if p[1] not in profiles.PROFILES:
                raise GuideError(f"{{{{{raw}}}}}: no profile {p[1]!r}")
            prof = profiles.PROFILES[p[1]]
            if p[2] == "train" and len(p) == 4:
                return fmt_size(prof.train_size(p[3]))
            if p[2] == "eval" and len(p) == 4:
                return fmt_size(prof.eval_size(p[3]))
            if p[2] == "encoder":
                return f"`{prof.checkpoint('encoder')}`"
            if len(p) == 3 and p[2] in prof.__dataclass_fields__:
                return fmt_size(getattr(prof, p[2]))
            raise GuideError(f"{{{{{raw}}}}}: unknown profile field")
        if kind == "gpu_largest" and len(p) == 2:
            est = json.loads((ROOT / "results" / "gpu_estimates.json").read_text())["chapters"].get(p[1], {})
            jobs = est.get("jobs") or []
            if not jobs:
                return "no transformer training (not estimated)"
            top = max(jobs, key=lambda j: j["minutes"])
            return f"{top['what']} (~{top['minutes']:.1f} of ~{est['minutes']:.0f} estimated min)"
        if kind == "schedule" and len(p) == 2:
            return schedule_md(plans[fmt(p[1]).key])
        if kind == "fits" and len(p) == 2:
            return fits_md(plans[fmt(p[1]).key])
        if kind == "spare" and len(p) == 2:
            plan = plans[fmt(p[1]).key]
            return str(plan.fmt.day_minutes - sum(i.minutes for i in plan.days[-1]))
        if kind == "format" and len(p) == 3 and p[2] in ("minutes", "hours", "days"):
            f = fmt(p[1])
            return {"minutes": str(f.day_minutes), "hours": f"{f.day_minutes / 60:g}", "days": str(f.days)}[p[2]]
        if kind == "overhead" and len(p) == 2:
            if p[1] not in OVERHEADS:
                raise GuideError(f"{{{{{raw}}}}}: no overhead {p[1]!r} (known: {', '.join(OVERHEADS)})")
            return str(OVERHEADS[p[1]])
        if kind == "overheads" and len(p) == 1:
            lines = [f"- {OVERHEAD_WORDS[k]}: {v} min" for k, v in OVERHEADS.items()]
            lines.append(f"- a break at the first chapter boundary after {BREAK_EVERY} min without one; in the "
                         f"formats with lunch, the first such break after {LUNCH_AFTER} min of the day is lunch")
            return "\n".join(lines)
        if kind == "live_limit" and len(p) == 1:
            return timings_table.minutes(LIVE_LIMIT_S)
        if kind == "total" and len(p) == 2 and p[1] in ("cpu", "smoke"):
            if p[1] == "cpu":
                secs = [c.cpu_seconds for c in chapters.values()]
                if not all(secs):
                    return "not measured for every chapter"
                return f"{timings_table.minutes(sum(secs))} min"
            if len(smoke_known) < len(chapters):
                return f"not measured for every chapter ({len(smoke_known)} of {len(chapters)} measured)"
            return f"{timings_table.minutes(sum(smoke_known))} min"
        raise GuideError(f"unknown placeholder {{{{{raw}}}}}")

    text = HEADER + PLACEHOLDER.sub(one, src)
    left = PLACEHOLDER.findall(text)
    if left:
        raise GuideError(f"placeholders left after rendering: {left}")
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/instructor_guide.md is stale")
    args = parser.parse_args(argv)
    try:
        text = render()
    except GuideError as exc:
        print(f"build_guide: {exc}")
        return 2
    if args.check:
        current = OUT.read_text() if OUT.exists() else ""
        if current != text:
            print(f"{OUT.relative_to(ROOT)} is stale: run `python scripts/build_guide.py`")
            return 1
        print(f"{OUT.relative_to(ROOT)} is up to date")
        return 0
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text)
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
