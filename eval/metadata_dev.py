"""How well the metadata of a report that sources.toml does not describe is inferred, on the
development corpus (../shared/corpus-dev), against the titles, years and periods in its SOURCES.md.

    .venv/bin/python -m eval.metadata_dev [--corpus ../shared/corpus-dev] [--show]

Prints one table for the code at HEAD (``git show HEAD:assistant/ingest/corpus.py``) and one for the
working tree, each for all files, the odd-numbered files and the even-numbered files (develop on one
group, read the other as out of sample).

Measures (the SOURCES.md title often adds a note in parentheses, "(news, 20 June 2024)"):
- title match: the inferred title is a substring of the SOURCES.md title (or its part outside
  parentheses is a substring of the inferred one), or at least 75% of the inferred title's words are
  words of the SOURCES.md title (and at least two words, or all, are shared);
- title wrong: under half of the inferred title's words are in the SOURCES.md title (page debris, a
  caption, a site name); paragraph: over 25 words; from file name: no title found in the text;
- year: the inferred year is one SOURCES.md gives (files with "n.d." are not counted);
- period: exact (same first and last year), inside (no year outside the stated period), and the mean
  Jaccard overlap of the two year sets (files with "n.d." are not counted).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Reference:
    number: int
    title: str
    years: set[int]  # the year(s) published it accepts; empty: n.d.
    period: tuple[int, int] | None


@dataclass
class Inferred:
    title: str
    year: int | None
    period: tuple[int | None, int | None]
    from_file_name: bool = False


def _years(cell: str) -> list[int]:
    return [int(y) for y in re.findall(r"(1[89]\d\d|20\d\d)", cell)]


def read_sources(corpus: Path) -> dict[int, Reference]:
    """SOURCES.md's table by file number. A title may hold "|" itself: the columns are counted from
    the end (publisher, year, period, url, quirks)."""
    refs: dict[int, Reference] = {}
    for line in (corpus / "SOURCES.md").read_text(encoding="utf-8").splitlines():
        m = re.match(r"^\|\s*(\d\d)_", line)
        if not m:
            continue
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        title = " | ".join(cells[1:-5])
        year_cell, period_cell = cells[-4], cells[-3]
        years = _years(year_cell)
        accepted = set(range(min(years), max(years) + 1)) if years and re.search(r"\d\s*[-–/]\s*\d", year_cell) \
            else set(years[:1])
        period_years = _years(period_cell)
        period = (min(period_years), max(period_years)) if period_years else None
        refs[int(m.group(1))] = Reference(int(m.group(1)), title, accepted, period)
    return refs


def _tokens(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", text.lower())


def title_scores(inferred: str, reference: str) -> dict[str, bool]:
    mine, ref = _tokens(inferred), _tokens(reference)
    core = _tokens(re.sub(r"\([^)]*\)", " ", reference))
    joined, ref_joined, core_joined = " ".join(mine), " ".join(ref), " ".join(core)
    shared = [t for t in mine if t in set(ref)]
    precision = len(shared) / len(mine) if mine else 0.0
    match = bool(mine) and (joined in ref_joined or (core_joined and core_joined in joined)
                            or (precision >= 0.75 and len(set(shared)) >= min(2, len(set(mine)))))
    return {"match": match, "wrong": precision < 0.5, "paragraph": len(mine) > 25}


def _old_infer(path: Path, doc) -> Inferred:
    """The inference at HEAD: its own corpus.py, loaded from git."""
    if not hasattr(_old_infer, "module"):
        source = subprocess.run(["git", "show", "HEAD:assistant/ingest/corpus.py"], cwd=ROOT, check=True,
                                capture_output=True, text=True).stdout
        import importlib.util
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            file = Path(tmp) / "corpus_at_head.py"
            file.write_text(source, encoding="utf-8")
            spec = importlib.util.spec_from_file_location("corpus_at_head", file)
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            sys.modules["corpus_at_head"] = module  # dataclasses look their module up
            spec.loader.exec_module(module)
        _old_infer.module = module
    body = "\n".join(block.text for block in doc.blocks)
    report = _old_infer.module.infer_report(path, body, set(), doc.headings[0] if doc.headings else None)
    return Inferred(report.title, report.year, (report.period_start, report.period_end))


def _new_infer(path: Path, doc) -> Inferred:
    from assistant.ingest import metadata as meta
    from assistant.ingest.corpus import infer_report

    report = infer_report(path, doc, set())
    _, where = meta.choose_title(meta.outline(doc.blocks, doc.headings), meta.FileMetadata(), fallback=path.stem)
    return Inferred(report.title, report.year, (report.period_start, report.period_end), where == "file name")


def measure(rows: list[tuple[Reference, Inferred]]) -> dict[str, str]:
    n = len(rows)
    # A title made from the file name is not counted as a match: the dev files were named after their titles.
    titles = [{**title_scores(inf.title, ref.title), **({"match": False} if inf.from_file_name else {})}
              for ref, inf in rows]
    dated = [(ref, inf) for ref, inf in rows if ref.years]
    periods = [(ref, inf) for ref, inf in rows if ref.period]
    exact = inside = 0
    jaccard = 0.0
    for ref, inf in periods:
        assert ref.period is not None
        start, end = inf.period
        if start is None or end is None:
            continue
        mine, theirs = set(range(start, end + 1)), set(range(ref.period[0], ref.period[1] + 1))
        exact += (start, end) == ref.period
        inside += mine <= theirs
        jaccard += len(mine & theirs) / len(mine | theirs)
    return {
        "files": str(n),
        "title match": f"{sum(t['match'] for t in titles)}/{n}",
        "title wrong": f"{sum(t['wrong'] for t in titles)}/{n}",
        "paragraph": f"{sum(t['paragraph'] for t in titles)}/{n}",
        "from file name": f"{sum(inf.from_file_name for _, inf in rows)}/{n}",
        "year right": f"{sum(inf.year in ref.years for ref, inf in dated)}/{len(dated)}",
        "year missing": f"{sum(inf.year is None for _, inf in dated)}/{len(dated)}",
        "period exact": f"{exact}/{len(periods)}",
        "period inside": f"{inside}/{len(periods)}",
        "period Jaccard": f"{jaccard / len(periods):.2f}" if periods else "-",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus-dev")
    parser.add_argument("--show", action="store_true", help="print each file's inferred metadata")
    args = parser.parse_args(argv)
    if not (args.corpus / "SOURCES.md").is_file():
        print(f"no SOURCES.md in {args.corpus}; pass --corpus", file=sys.stderr)
        return 2
    sys.path.insert(0, str(ROOT))
    import logging

    logging.disable(logging.WARNING)
    from assistant.ingest.document import parse_text

    refs = read_sources(args.corpus)
    results: dict[str, list[tuple[Reference, Inferred]]] = {"HEAD": [], "now": []}
    for path in sorted(args.corpus.glob("[0-9][0-9]_*.txt")):
        ref = refs.get(int(path.name[:2]))
        if ref is None:
            continue
        doc = parse_text(path.read_text(encoding="utf-8"), "txt")
        old, new = _old_infer(path, doc), _new_infer(path, doc)
        results["HEAD"].append((ref, old))
        results["now"].append((ref, new))
        if args.show:
            mark = "ok" if title_scores(new.title, ref.title)["match"] else "--"
            print(f"{ref.number:02d} {mark} {new.title[:70]!r} year={new.year} period={new.period} | "
                  f"ref: {ref.title[:60]!r} {sorted(ref.years)} {ref.period}")
    groups = {"all": lambda r: True, "odd": lambda r: r.number % 2 == 1, "even": lambda r: r.number % 2 == 0}
    columns = list(measure(results["now"][:1]).keys())
    print("| code | files | " + " | ".join(columns[1:]) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for code, rows in results.items():
        for name, keep in groups.items():
            cells = measure([(ref, inf) for ref, inf in rows if keep(ref)])
            print(f"| {code} | {name} ({cells['files']}) | " + " | ".join(cells[c] for c in columns[1:]) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
