"""One large report through the path a build takes for one file: load, parse, split (real tokenizer).

    .venv/bin/python -m eval.bench_large [--quick] [--sizes 1,2,5,10,20] [--form superscript]
                                         [--others glued,anchor,paragraph,short-lines] [--limit 120]

The reports are generated here (nothing big is committed) from the project's own corpus: each of the
five reports in turn becomes a chapter under its own heading, its notes renumbered in the chosen
footnote form, until the text reaches the size asked for; from the second round on, each long line's
sentences are shuffled and two of its words replaced, so that no chapter is the same text again.

* ``superscript`` (txt, the main form): page-bottom notes after each chapter, numbering restarting;
* ``glued`` (txt): bullet notes at the end, numbering continuing (2100 to 9999, then chapters without
  markers: the parser reads at most four digits, and lower numbers would meet years glued to text);
* ``anchor`` (md): ``[n](#)`` markers, notes at the end switching to bare numbers, numbering continuing;
* ``paragraph`` (degenerate): the same words as one paragraph, lines of 12 words, no blank line;
* ``short-lines`` (degenerate): very many lines of three words, each a paragraph of its own.

The main form runs at every size, the others at the smallest and the largest. Each report is written to
a file, then loaded, parsed and split in a fresh process with the tokenizer already loaded, under an
alarm (``--limit`` seconds; over it, the row says FAILED and so does the script); a report under 5 MB
is run ``--repeat`` times and the fastest run kept, as the baseline of a ratio should not be the unlucky
one on a shared machine. Prints a Markdown
table: seconds per stage, passages, notes attached, peak memory (the resident set's high-water mark
above the warmed-up process), seconds per MB and its ratio to the smallest size of the same form
(linear = about 1.0). Writes eval/reports/bench-large.json.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from assistant.ingest.document import normalize
from assistant.ingest.footnotes import PLACEHOLDER, SUPERSCRIPTS, mark_markers, split_notes

ROOT = Path(__file__).resolve().parent.parent

MB = 2**20
CORPUS = ROOT / "corpus"
REPORTS = [("euaa-ar2024-cooperation.txt", "txt"), ("euaa-ar2023-cooperation.md", "md"),
           ("ec-action-plan-partnerships.txt", "txt"), ("euaa-ar2022-cooperation.md", "md"),
           ("integra-good-practices.txt", "txt")]
FORMS = ("superscript", "glued", "anchor", "paragraph", "short-lines")
_SUP = str.maketrans("0123456789", SUPERSCRIPTS)
_MD_HEADING = re.compile(r"^#{1,6}\s+")
_STRAY_SUP = re.compile(f"[{SUPERSCRIPTS}]+")
_GLUED_FIRST, _LAST = 2100, 9999
_WORD = re.compile(r"(?<![\w{}])[a-z]{5,}(?![\w{}])")
_VOCABULARY: list[str] = []


def _chapters(corpus: Path = CORPUS) -> list[tuple[str, list[str], list[str]]]:
    """(title, body lines with ``{{k}}`` where note k of the chapter is cited, note texts) per report.

    The notes are read by the project's own parser; markers it could not resolve are dropped, so a
    stray number cannot meet a note of another chapter."""
    out = []
    for name, fmt in REPORTS:
        lines = normalize((corpus / name).read_text(encoding="utf-8")).split("\n")
        body_lines, table = split_notes(lines)
        body = mark_markers("\n".join(body_lines), table)
        order: dict[int, int] = {}

        def cite(m: re.Match[str], order: dict[int, int] = order) -> str:
            k = order.setdefault(int(m.group(1)), len(order))
            return f"{{{{{k}}}}}"

        body = PLACEHOLDER.sub(cite, _STRAY_SUP.sub("", body))
        if table.form == "anchor":
            body = re.sub(r"\[(\d{1,4})\]\(#\)", "", body)
        notes = [table.notes[i].text for i, _ in sorted(order.items(), key=lambda kv: kv[1])]
        body_out = body.split("\n")
        while body_out and not body_out[-1].strip():
            body_out.pop()
        title = next(_MD_HEADING.sub("", ln).strip() for ln in body_out if ln.strip())
        out.append((title, body_out, notes))
    if not _VOCABULARY:
        _VOCABULARY.extend(sorted({w for _, body, _ in out for ln in body for w in _WORD.findall(ln)}))
    return out


_TABLE_ROW = re.compile(r"^([^|]*\|\s*)([^|]*?)(\s*\|?\s*)$")  # key |, value, closing |
_SENTENCE_END = re.compile(r"(?<=[.!?])((?:\{\{\d+\}\})*)\s+")


def _shuffled(text: str, rng: random.Random) -> str:
    """The sentences of a text in another order (a single sentence: its clauses); markers travel along."""
    parts = _SENTENCE_END.split(text)  # sentence, its markers, sentence, its markers, ..., sentence
    sentences = [parts[i] + (parts[i + 1] if i + 1 < len(parts) else "") for i in range(0, len(parts), 2)]
    if len(sentences) > 1:
        rng.shuffle(sentences)
        return " ".join(sentences)
    clauses = text.split(", ")
    rng.shuffle(clauses)
    return ", ".join(clauses)


def _vary(text: str, notes: list[str], rng: random.Random) -> tuple[str, list[str]]:
    """Each long line (or a table row's value) shuffled, notes renumbered in the new order: a repeated
    chapter is not the same text again, so that no cache can take it for free."""
    lines = []
    for line in text.split("\n"):
        if len(line) > 80:
            row = _TABLE_ROW.match(line)
            if row is None:
                line = _shuffled(line, rng)
            elif len(row.group(2)) > 60:
                line = row.group(1) + _shuffled(row.group(2), rng) + row.group(3)
            words = list(_WORD.finditer(line))  # and two of its words replaced by others of the corpus
            for m in sorted(rng.sample(words, min(2, len(words))), key=lambda m: -m.start()):
                line = line[:m.start()] + rng.choice(_VOCABULARY) + line[m.end():]
        lines.append(line)
    order: dict[int, int] = {}
    text = re.sub(r"\{\{(\d+)\}\}", lambda m: f"{{{{{order.setdefault(int(m.group(1)), len(order))}}}}}",
                  "\n".join(lines))
    return text, [notes[old] for old, _ in sorted(order.items(), key=lambda kv: kv[1])]


def large_report(size: int, form: str = "superscript", corpus: Path = CORPUS) -> tuple[str, str]:
    """A report of at least ``size`` characters in ``form``, and its format (``txt`` or ``md``)."""
    if form not in FORMS:
        raise ValueError(f"form must be one of {FORMS}")
    chapters = _chapters(corpus)
    parts: list[str] = []
    tail: list[str] = []  # notes at the end (glued, anchor)
    total, k, number = 0, 0, _GLUED_FIRST if form == "glued" else 1
    while total < size:
        title, body, notes = chapters[k % len(chapters)]
        k += 1
        # Markdown headings stay headings in a Markdown report and become title lines in a text one.
        text = "\n".join(body if form == "anchor" else [_MD_HEADING.sub("", ln) for ln in body])
        if k > len(chapters):  # a later round: the same paragraphs, their sentences in another order
            text, notes = _vary(text, notes, random.Random(k))
        if form in ("paragraph", "short-lines"):
            words = [w for w in re.sub(r"\{\{\d+\}\}", "", text).split() if "|" not in w]  # no table
            if form == "paragraph":  # lines of about 12 words, never a blank line
                piece = "\n".join(" ".join(words[i:i + 12]) for i in range(0, len(words), 12))
            else:  # two or three words a line, each line its own paragraph
                piece = "\n\n".join(" ".join(words[i:i + 3]) for i in range(0, len(words), 3))
            parts.append(piece)
            total += len(piece) + 2
            continue
        heading = f"Chapter {k}. {title}"
        intro = f"This chapter reproduces, for the benchmark, the section of the corpus titled \"{title}\"."
        if form == "superscript":
            text = re.sub(r"\{\{(\d+)\}\}", lambda m: str(int(m.group(1)) + 1).translate(_SUP), text)
            bottom = [f"{str(i + 1).translate(_SUP)} {note}" for i, note in enumerate(notes)]
            piece = f"{heading.upper()}\n\n\n{intro}\n\n{text}\n\n" + "\n\n".join(bottom)
        else:
            room = number + len(notes) - 1 <= _LAST
            first = number

            # A number glued to a number cannot be read as a marker ("March 20211156"): such a marker
            # and its note are left out of the glued form.
            unreadable = {int(n) for n in re.findall(r"(?<=\d)\{\{(\d+)\}\}", text)} if form == "glued" else set()

            def mark(m: re.Match[str], first: int = first, room: bool = room) -> str:
                if not room or int(m.group(1)) in unreadable:
                    return ""
                n = first + int(m.group(1))
                return str(n) if form == "glued" else f"[{n}](#)"

            text = re.sub(r"\{\{(\d+)\}\}", mark, text)
            if room:
                for i, note in enumerate(notes):
                    n = first + i
                    if i in unreadable:
                        continue
                    if form == "glued":
                        tail.append(f"  • {n}{note}")
                    else:  # the first notes of a chapter as anchors, the others as bare numbers
                        tail.append(f"[{n}](#) {note}" if i < 2 else f"{n} {note}")
                number += len(notes)
            if form == "anchor":
                piece = f"# {heading}\n\n{intro}\n\n{text}"
            else:
                piece = f"{heading.upper()}\n\n\n{intro}\n\n{text}"
        parts.append(piece)
        total += len(piece) + 2
    text = ("\n" if form == "paragraph" else "\n\n").join(parts)
    if tail:
        text += "\n\n" + ("\n" if form == "glued" else "\n\n").join(tail)
    return text + "\n", "md" if form == "anchor" else "txt"


# ---- measuring ------------------------------------------------------------------------------------

class OverLimit(Exception):
    pass


def _on_alarm(signum, frame):  # noqa: ARG001
    raise OverLimit


def _kb(field: str) -> int:
    """VmRSS or VmHWM of this process, in KiB (Linux); the peak over the whole process elsewhere."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _reset_peak() -> None:
    try:  # freed memory back to the system first, so that the peak counts what the run itself takes
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")  # the kernel's high-water mark back to the current resident set
    except OSError:
        pass


def measure_file(path: Path, fmt: str, limit: int, repeat: int = 1, additive: bool = False) -> dict[str, object]:
    """In a fresh process: the tokenizer loaded and warmed up, then load, parse and split of one file, each
    run under an alarm of ``limit`` seconds; the fastest of ``repeat`` runs. Peak memory is the resident
    set's high-water mark above the warmed-up process. With ``additive``, the splitter is told that the
    model's counts add up over whitespace when they do (``Embedder.counts_add_up``)."""
    from assistant.embedding import Embedder
    from assistant.geo import countries_in
    from assistant.ingest.pipeline import make_splitter
    from assistant.ingest.document import parse_text
    from assistant.ingest.loaders import load_text
    from assistant.settings import Settings

    settings = Settings(corpus=CORPUS)
    embedder = Embedder(settings)
    splitter = make_splitter(settings, embedder)
    if additive:
        from assistant.ingest.splitter import PassageSplitter, TokenCounter

        splitter = PassageSplitter(splitter.config, TokenCounter(splitter.counter.count, splitter.counter.special,
                                                                 additive=embedder.counts_add_up))
    embedder.count_tokens("Warm up the tokenizer.")
    countries_in("Warm up the gazetteer: Italy, 2023.")
    best: dict[str, object] | None = None
    peak = 0
    signal.signal(signal.SIGALRM, _on_alarm)
    for _ in range(repeat):
        gc.collect()
        _reset_peak()
        baseline = _kb("VmRSS")
        signal.alarm(limit)
        try:
            t0 = time.perf_counter()
            text = load_text(path, fmt)
            t1 = time.perf_counter()
            doc = parse_text(text, fmt)
            t2 = time.perf_counter()
            passages = splitter.split(doc, "large")
            t3 = time.perf_counter()
        finally:
            signal.alarm(0)
        peak = max(peak, _kb("VmHWM") - baseline)
        cited = {id(n) for p in passages for n in p.footnotes}
        row = {"mb": round(path.stat().st_size / MB, 2), "load_s": round(t1 - t0, 3), "parse_s": round(t2 - t1, 3),
               "split_s": round(t3 - t2, 3), "total_s": round(t3 - t0, 3), "passages": len(passages),
               "notes": len(doc.notes), "notes_attached": sum(1 for n in doc.notes if id(n) in cited), "runs": repeat}
        if best is None or row["total_s"] < best["total_s"]:
            best = row
        del text, doc, passages, cited
    assert best is not None
    return {**best, "peak_mb": round(max(0, peak) / 1024, 1), "model": settings.embedding.model,
            "chunk_tokens": splitter.config.chunk_tokens, "additive": getattr(splitter.counter, "additive", False)}


def _run_one(form: str, size: float, work: Path, limit: int, repeat: int, additive: bool) -> dict[str, object]:
    """One report generated here, measured in a child process (a clean memory peak, and a hard stop)."""
    text, fmt = large_report(int(size * MB), form)
    path = work / f"large-{form}.{fmt}"
    path.write_text(text, encoding="utf-8")
    row: dict[str, object] = {"form": form, "fmt": fmt, "mb": round(path.stat().st_size / MB, 2)}
    del text
    try:
        done = subprocess.run([sys.executable, "-m", "eval.bench_large", "--one", str(path), fmt, "--limit", str(limit),
                               "--repeat", str(repeat)] + (["--additive"] if additive else []),
                              cwd=ROOT, capture_output=True, text=True,
                              timeout=limit * repeat + 120)
    except subprocess.TimeoutExpired:
        return {**row, "failed": f"no answer within {limit * repeat + 120} s"}
    finally:
        path.unlink()
    if done.returncode != 0:
        last = (done.stdout.strip().splitlines() or done.stderr.strip().splitlines() or ["?"])[-1]
        return {**row, "failed": last[:200]}
    return {**row, **json.loads(done.stdout.strip().splitlines()[-1])}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the main form at 0.25, 0.5 and 1 MB only")
    parser.add_argument("--sizes", default="1,2,5,10,20", help="sizes in MB of the main form (default 1,2,5,10,20)")
    parser.add_argument("--form", default="superscript", choices=FORMS, help="the main form (default superscript)")
    parser.add_argument("--others", default="glued,anchor,paragraph,short-lines",
                        help="forms run at the smallest and the largest size only ('' for none)")
    parser.add_argument("--limit", type=int, default=120, help="seconds allowed per report (default 120)")
    parser.add_argument("--out", default=str(ROOT / "eval" / "reports" / "bench-large.json"))
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of a report under 5 MB, the fastest kept (noise on a shared machine); default 3")
    parser.add_argument("--additive", action="store_true",
                        help="tell the splitter that the model's counts add up over whitespace (when they do), "
                             "as make_splitter may; default: the splitter make_splitter builds")
    parser.add_argument("--one", nargs=2, metavar=("FILE", "FMT"), help=argparse.SUPPRESS)  # the child's part
    args = parser.parse_args()
    if args.one:
        try:
            row = measure_file(Path(args.one[0]), args.one[1], args.limit, args.repeat, args.additive)
        except OverLimit:
            print(f"over the limit of {args.limit} s")
            return 1
        print(json.dumps(row))
        return 0

    sizes = [0.25, 0.5, 1.0] if args.quick else sorted(float(s) for s in args.sizes.split(","))
    others = [] if args.quick else [f for f in args.others.split(",") if f]
    for form in others:
        if form not in FORMS:
            parser.error(f"unknown form {form!r}; one of {', '.join(FORMS)}")
    runs = [(args.form, size) for size in sizes]
    runs += [(form, size) for form in others for size in sorted({sizes[0], sizes[-1]})]

    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="bench-large-") as tmp:
        for form, size in runs:
            row = _run_one(form, size, Path(tmp), args.limit, args.repeat if size < 5 else 1, args.additive)
            base = next((r for r in rows if r["form"] == form and "total_s" in r), None)
            if "total_s" in row:
                row["s_per_mb"] = round(row["total_s"] / row["mb"], 3)
                row["ratio"] = round(row["s_per_mb"] / base["s_per_mb"], 2) if base else 1.0
            rows.append(row)
            print(f"  {form} {row['mb']} MB: " + (f"{row['total_s']} s" if "total_s" in row else row["failed"]),
                  file=sys.stderr, flush=True)

    done = [r for r in rows if "total_s" in r]
    model = done[0]["model"] if done else "?"
    chunk = done[0]["chunk_tokens"] if done else "?"
    counting = "additive counts" if done and done[0]["additive"] else "each passage tokenized"
    print(f"one report: load + parse + split with the real tokenizer ({model}, passages of {chunk} tokens, "
          f"{counting}), each in a fresh process; {platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}")
    print("| form | size MB | runs | load s | parse s | split s | total s | passages | notes attached | peak MB "
          "| s per MB | vs smallest |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        if "total_s" not in r:
            print(f"| {r['form']} | {r['mb']} | | FAILED: {r['failed']} | | | | | | | | |")
            continue
        print(f"| {r['form']} | {r['mb']} | {r['runs']} | {r['load_s']:.2f} | {r['parse_s']:.2f} | {r['split_s']:.2f} | "
              f"{r['total_s']:.2f} | {r['passages']} | {r['notes_attached']}/{r['notes']} | {r['peak_mb']} | "
              f"{r['s_per_mb']:.3f} | {r['ratio']:.2f} |")
    failed = [f"{r['form']} {r['mb']} MB: {r['failed']}" for r in rows if "total_s" not in r]
    lost = [f"{r['form']} {r['mb']} MB" for r in done if r["notes_attached"] != r["notes"]]
    main_rows = [r for r in done if r["form"] == args.form]
    largest = max(main_rows, key=lambda r: r["mb"]) if main_rows else None
    target = largest is not None and largest["mb"] >= 19.5 and largest["total_s"] < 30
    print(f"target: a 20 MB report in under 30 s ({args.form}): " +
          ("met" if target else "not measured" if largest is None or largest["mb"] < 19.5 else "MISSED"))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"machine": platform.machine(), "cpus": os.cpu_count(),
                               "python": platform.python_version(), "model": model, "chunk_tokens": chunk,
                               "additive": bool(done and done[0]["additive"]),
                               "limit_s": args.limit, "rows": rows}, indent=2) + "\n", encoding="utf-8")
    if failed or lost:
        print("FAILED: " + "; ".join(failed + [f"{x}: a note not attached" for x in lost]))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
