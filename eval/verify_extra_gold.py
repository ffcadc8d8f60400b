#!/usr/bin/env python3
"""Check the extra development gold sets of eval/ against the corpus they are evaluated on.

    .venv/bin/python eval/verify_extra_gold.py [FILE ...]

Default files: eval/gold-regions-origins.jsonl (answerable) and eval/gold-unanswerable.jsonl.
The corpus is the reports of corpus/ (sources.toml names them) plus the excerpts of
../shared/corpus-dev; the seed texts of ../shared/corpus-seed, when present, are searched too
for absences (stricter). Both gold files use the development format of
../shared/corpus-dev/gold-dev.jsonl; the phrase comparison (case-insensitive, runs of whitespace
collapsed) and the glued-note-number pattern are imported from that folder's verify_gold.py.

Answerable items (id ``r###``):
  * kind is one of the development kinds (not "unanswerable"); ``facet`` is "region" or "origin";
  * one turn, or 2-3 for a follow-up; ``relevant`` is a non-empty list of non-empty phrase groups;
  * ``file`` is an excerpt of ../shared/corpus-dev or a report file of corpus/ (sources.toml);
  * every phrase occurs in that file and is 4-12 words long (an error otherwise); a phrase that looks
    like it spans a glued note number, or that also occurs in another corpus file (the seed copy of the
    same report excepted), gives a warning.
Unanswerable items (id ``u###``):
  * kind "unanswerable", relevant == [], file == null, abstain == true, ``why`` one of WHYS; one turn,
    or 2-3 when why is "follow-up";
  * ``check`` names the grep that shows the corpus cannot answer it and is re-run here:
      ``grep -il -e 'T1' -e 'T2' <files> -> none``: no corpus file contains any term;
      ``grep -ilE 'a|b' <files> | xargs -r grep -lw YEAR -> none; ...``: no corpus file that matches
      the first pattern (the country's names) holds YEAR, and none of those files has a reporting
      period (sources.toml, ../shared/corpus-dev/SOURCES.md) that covers YEAR.
    Texts and terms are compared case-insensitively with whitespace runs collapsed and curly quotes
    straightened, so a term broken over a line still counts as present; a number given with -w must
    not touch another digit ("2010s" counts as 2010). The check is thus at least as strict as the grep.
Ids are unique across all files checked, and no question repeats one of gold-dev.jsonl.

Prints counts per kind, facet and why, warnings and errors; exits 1 on an error, 0 otherwise, and 0
with a message naming the folder when ../shared/corpus-dev is absent.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shlex
import sys
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT / "eval"
CORPUS = ROOT / "corpus"
DEV = ROOT.parent / "shared" / "corpus-dev"
SEED = ROOT.parent / "shared" / "corpus-seed"
DEFAULT_FILES = (EVAL / "gold-regions-origins.jsonl", EVAL / "gold-unanswerable.jsonl")
WHYS = {"absent-country", "absent-year", "absent-fact", "off-topic", "follow-up"}
FACETS = {"region", "origin"}
REQUIRED_OPERANDS = ("corpus/*", "../shared/corpus-dev/*.txt")
MIN_WORDS, MAX_WORDS = 4, 12


def _load_shared_verifier(dev: Path):
    """The module ../shared/corpus-dev/verify_gold.py (its ``norm``, ``GLUED_NOTE`` and ``KINDS``)."""
    spec = importlib.util.spec_from_file_location("shared_verify_gold", dev / "verify_gold.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def straighten(text: str) -> str:
    """Curly quotes as straight ones, so that a term typed with either matches."""
    return text.replace("“", '"').replace("”", '"').replace("’", "'").replace("‘", "'")


@dataclass
class Corpus:
    """The corpus texts (normalised), where each came from, and their reporting periods."""

    texts: dict[str, str] = field(default_factory=dict)  # label ("corpus/x.txt") -> normalised text
    by_name: dict[str, str] = field(default_factory=dict)  # file name a gold item may name -> label
    periods: dict[str, tuple[int, int] | None] = field(default_factory=dict)  # label -> (first, last) year
    same_report: dict[str, str] = field(default_factory=dict)  # corpus/ label <-> its seed's label


def _period(cell: str) -> tuple[int, int] | None:
    """First and last year of a SOURCES.md "period covered" cell; None for "n.d." and the like."""
    years = [int(y) for y in re.findall(r"(?:19|20)\d\d", cell)]
    if "onwards" in cell:
        years.append(9999)
    return (min(years), max(years)) if years else None


def load_corpus(norm) -> Corpus:
    c = Corpus()
    manifest = tomllib.loads((CORPUS / "sources.toml").read_text(encoding="utf-8"))
    for path in sorted(p for p in CORPUS.iterdir() if p.is_file()):
        label = f"corpus/{path.name}"
        c.texts[label] = norm(straighten(path.read_text(encoding="utf-8")))
    seed_names = {p.name for p in SEED.glob("*.txt")} if SEED.is_dir() else set()
    for name in sorted(seed_names):
        c.texts[f"corpus-seed/{name}"] = norm(straighten((SEED / name).read_text(encoding="utf-8")))
    for report in manifest.get("report", []):
        label = f"corpus/{report['file']}"
        c.by_name[report["file"]] = label
        start, end = report.get("period_start"), report.get("period_end")
        c.periods[label] = (start or end, end or start) if (start or end) else None
        seed = report.get("seed_file")
        if seed in seed_names:
            c.periods[f"corpus-seed/{seed}"] = c.periods[label]
            c.same_report[label], c.same_report[f"corpus-seed/{seed}"] = f"corpus-seed/{seed}", label
    dev_periods: dict[str, tuple[int, int] | None] = {}
    sources = DEV / "SOURCES.md"
    if sources.is_file():
        for line in sources.read_text(encoding="utf-8").splitlines():
            cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
            if len(cells) > 4 and re.match(r"\d\d_", cells[0]):
                dev_periods[cells[0][:2]] = _period(cells[4])  # by number: a listed name may differ slightly
    for path in sorted(DEV.glob("[0-9][0-9]_*.txt")):
        label = f"corpus-dev/{path.name}"
        c.texts[label] = norm(straighten(path.read_text(encoding="utf-8")))
        c.by_name[path.name] = label
        c.periods[label] = dev_periods.get(path.name[:2])
    return c


@dataclass
class Grep:
    """One grep of a check: its patterns and how they are matched."""

    patterns: list[str]
    regex: bool  # -E or -P
    word: bool  # -w
    operands: list[str]

    def compiled(self, norm) -> list[re.Pattern[str]]:
        out = []
        for pattern in self.patterns:
            body = pattern if self.regex else re.escape(norm(straighten(pattern)))
            if self.word:
                edge = r"\d" if pattern.isdigit() else r"[0-9a-z_]"
                body = rf"(?<!{edge})(?:{body})(?!{edge})"
            out.append(re.compile(body, re.IGNORECASE))
        return out


def _parse_grep(tokens: list[str]) -> Grep:
    """A grep command's tokens (``grep`` first) as a Grep; ValueError when it is not one."""
    if not tokens or tokens[0] != "grep":
        raise ValueError(f"not a grep command: {' '.join(tokens)!r}")
    patterns, operands, flags = [], [], set()
    it = iter(tokens[1:])
    for tok in it:
        if tok == "-e":
            patterns.append(next(it))
        elif tok.startswith("-") and len(tok) > 1:
            flags.update(tok[1:])
        elif not patterns and not operands and "e" not in flags:
            patterns.append(tok)
        else:
            operands.append(tok)
    if "i" not in flags:
        raise ValueError("the grep must be case-insensitive (-i)")
    if not patterns:
        raise ValueError("the grep names no pattern")
    return Grep(patterns, regex=bool(flags & {"E", "P"}), word="w" in flags, operands=operands)


@dataclass
class Check:
    first: Grep
    then: Grep | None  # the grep run through xargs on the files the first one lists


def parse_check(check: str) -> Check:
    """The ``check`` field of an unanswerable item; ValueError when it is not in a form this script re-runs."""
    command, arrow, result = check.partition("->")
    if not arrow or not result.strip().lower().startswith("none"):
        raise ValueError("a check must end in '-> none'")
    tokens = shlex.split(command)
    stages, current = [], []
    for tok in tokens:
        if tok == "|":
            stages.append(current)
            current = []
        else:
            current.append(tok)
    stages.append(current)
    if len(stages) > 2:
        raise ValueError("at most one pipe (| xargs -r grep ...)")
    first = _parse_grep(stages[0])
    missing = [op for op in REQUIRED_OPERANDS if op not in first.operands]
    if missing:
        raise ValueError(f"the grep does not search the whole corpus (missing {', '.join(missing)})")
    then = None
    if len(stages) == 2:
        second = stages[1]
        if not second or second[0] != "xargs":
            raise ValueError("the second stage must be 'xargs [-r] grep ...'")
        second = second[1:]
        if second and second[0] == "-r":
            second = second[1:]
        # the second grep reads the files the first one lists; -i is not needed for a number
        then = _parse_grep(second[:1] + ["-i"] + second[1:])
    return Check(first, then)


def run_check(check: Check, corpus: Corpus, norm) -> list[str]:
    """What contradicts the check: the files where a term was found (empty when the check holds)."""
    first = list(zip(check.first.patterns, check.first.compiled(norm)))
    matched = [label for label, text in corpus.texts.items() if any(p.search(text) for _, p in first)]
    if check.then is None:
        return [f"{label} holds {term!r}" for label in matched for term, p in first if p.search(corpus.texts[label])]
    problems = []
    then = list(zip(check.then.patterns, check.then.compiled(norm)))
    for label in matched:
        problems += [f"{label} names the country and holds {term!r}" for term, p in then if p.search(corpus.texts[label])]
        years = [int(y) for y in check.then.patterns if re.fullmatch(r"(?:19|20)\d\d", y)]
        period = corpus.periods.get(label)
        for year in years:
            if period is not None and period[0] <= year <= period[1]:
                problems.append(f"{label} names the country and its period {period[0]}-{period[1]} covers {year}")
    return problems


def main(argv: list[str]) -> int:
    if not DEV.is_dir() or not (DEV / "verify_gold.py").is_file():
        print(f"the development corpus folder {DEV} (with verify_gold.py) is absent: nothing checked")
        return 0
    shared = _load_shared_verifier(DEV)
    norm = shared.norm
    corpus = load_corpus(norm)
    paths = [Path(a) for a in argv] or list(DEFAULT_FILES)
    dev_questions = set()
    if (DEV / "gold-dev.jsonl").is_file():
        for line in (DEV / "gold-dev.jsonl").read_text(encoding="utf-8").splitlines():
            if line.strip():
                dev_questions.add(norm(json.loads(line)["turns"][-1]))

    errors, warnings = [], []
    ids: set[str] = set()
    kinds, facets, whys = Counter(), Counter(), Counter()
    n_phrases = n_checks = 0
    for path in paths:
        if not path.is_file():
            errors.append(f"{path}: not found")
            continue
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                errors.append(f"{path.name}:{lineno}: bad JSON ({exc})")
                continue
            qid = str(item.get("id", f"line{lineno}"))
            where = f"{path.name}:{lineno} {qid}"
            if qid in ids:
                errors.append(f"{where}: duplicate id")
            ids.add(qid)
            kind = item.get("kind")
            kinds[kind] += 1
            turns = item.get("turns")
            if not isinstance(turns, list) or not turns or not all(isinstance(t, str) and t.strip() for t in turns):
                errors.append(f"{where}: turns must be a non-empty list of strings")
                turns = [""]
            if norm(turns[-1]) in dev_questions:
                errors.append(f"{where}: the question repeats one of gold-dev.jsonl")

            if kind == "unanswerable":
                why = item.get("why")
                whys[why] += 1
                if not re.fullmatch(r"u\d{3}", qid):
                    errors.append(f"{where}: an unanswerable id is u###")
                if item.get("relevant") != [] or item.get("abstain") is not True or item.get("file") is not None:
                    errors.append(f"{where}: unanswerable needs relevant=[], abstain=true, file=null")
                if why not in WHYS:
                    errors.append(f"{where}: why must be one of {sorted(WHYS)}, not {why!r}")
                if why == "follow-up" and not 2 <= len(turns) <= 3:
                    errors.append(f"{where}: a follow-up has 2-3 turns, not {len(turns)}")
                if why != "follow-up" and len(turns) != 1:
                    errors.append(f"{where}: only a follow-up may have several turns")
                try:
                    check = parse_check(str(item.get("check", "")))
                except ValueError as exc:
                    errors.append(f"{where}: check {item.get('check')!r} cannot be re-run: {exc}")
                    continue
                if why == "absent-year" and check.then is None:
                    errors.append(f"{where}: an absent-year check needs '| xargs -r grep -lw YEAR'")
                n_checks += 1
                for problem in run_check(check, corpus, norm):
                    errors.append(f"{where}: check fails: {problem}")
                continue

            facet = item.get("facet")
            facets[facet] += 1
            if not re.fullmatch(r"r\d{3}", qid):
                errors.append(f"{where}: an answerable id is r###")
            if kind not in shared.KINDS:
                errors.append(f"{where}: unknown kind {kind!r}")
            if facet not in FACETS:
                errors.append(f"{where}: facet must be one of {sorted(FACETS)}, not {facet!r}")
            if item.get("abstain"):
                errors.append(f"{where}: an answerable item must not abstain")
            if kind == "follow-up" and not 2 <= len(turns) <= 3:
                errors.append(f"{where}: a follow-up has 2-3 turns, not {len(turns)}")
            if kind != "follow-up" and len(turns) != 1:
                errors.append(f"{where}: only a follow-up may have several turns")
            label = corpus.by_name.get(item.get("file"))
            if label is None:
                errors.append(f"{where}: file {item.get('file')!r} is neither an excerpt nor a report of corpus/")
                continue
            relevant = item.get("relevant")
            if not isinstance(relevant, list) or not relevant:
                errors.append(f"{where}: relevant must be a non-empty list of groups")
                continue
            text = corpus.texts[label]
            for group in relevant:
                if not isinstance(group, list) or not group:
                    errors.append(f"{where}: each relevant group must be a non-empty list")
                    continue
                for phrase in group:
                    n_phrases += 1
                    p = norm(straighten(phrase))
                    if p not in text:
                        errors.append(f"{where}: phrase not in {label}: {phrase!r}")
                        continue
                    words = len(phrase.split())
                    if not MIN_WORDS <= words <= MAX_WORDS:
                        errors.append(f"{where}: phrase has {words} words (want {MIN_WORDS}-{MAX_WORDS}): {phrase!r}")
                    if shared.GLUED_NOTE.search(phrase):
                        warnings.append(f"{where}: phrase may span a glued note number: {phrase!r}")
                    others = [lab for lab, t in corpus.texts.items()
                              if lab not in (label, corpus.same_report.get(label)) and p in t]
                    if others:
                        warnings.append(f"{where}: phrase also occurs in {', '.join(others)}: {phrase!r}")

    answerable = sum(n for k, n in kinds.items() if k != "unanswerable")
    print(f"files: {', '.join(str(p.relative_to(ROOT)) if p.is_relative_to(ROOT) else str(p) for p in paths)}")
    print(f"corpus files searched: {len(corpus.texts)} (corpus/, {DEV.name}"
          f"{', ' + SEED.name if SEED.is_dir() else ''})")
    print(f"answerable: {answerable}  phrases checked: {n_phrases}")
    for k, n in sorted(kinds.items(), key=lambda kv: str(kv[0])):
        if k != "unanswerable":
            print(f"  kind  {k!s:13s} {n}")
    for f, n in sorted(facets.items(), key=lambda kv: str(kv[0])):
        print(f"  facet {f!s:13s} {n}")
    print(f"unanswerable: {kinds.get('unanswerable', 0)}  checks re-run: {n_checks}")
    for w, n in sorted(whys.items(), key=lambda kv: str(kv[0])):
        print(f"  why   {w!s:15s} {n}")
    for w in warnings:
        print("WARNING " + w)
    for e in errors:
        print("ERROR " + e)
    print("OK" if not errors else f"{len(errors)} error(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
