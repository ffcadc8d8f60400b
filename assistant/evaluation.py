"""`assistant eval`: the gold questions through every retrieval mode, scored with ir-measures.

Gold evidence is anchored to a report and a quoted span, not to chunk ids: a passage is relevant when
it comes from that report and contains the span (whitespace and quotes normalised), so the gold set
survives any change of splitting. Retrieval metrics (Hit@1 = Success@1, Hit@5, MRR@10 = RR@10,
nDCG@10, Recall@5) are computed by ir-measures (pytrec_eval underneath) over answerable questions;
note accuracy, abstention accuracy and the false-abstention rate are counted here.
"""

from __future__ import annotations

import json
import logging
import math
import re
import statistics
import time
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from assistant.session import Assistant
from assistant.errors import UserError
from assistant.index.store import IndexData
from assistant.models import Answer, IndexMeta, Passage
from assistant.retrieval.pipeline import MODES
from assistant.settings import Settings

log = logging.getLogger(__name__)

TARGETS = {"Hit@1": 0.90, "MRR@10": 0.93, "Recall@5": 0.95, "note_accuracy": 0.95, "abstention_accuracy": 0.90,
           "answer_matching": 1.0}
MAX_FALSE_ABSTENTION = 0.03
MAX_UNRESOLVED = 0.0  # answer sentences opening on a reference to a sentence not quoted with them
METRICS = ["Hit@1", "Hit@5", "MRR@10", "nDCG@10", "Recall@5"]
_IR_NAMES = {"Hit@1": "Success@1", "Hit@5": "Success@5", "MRR@10": "RR@10", "nDCG@10": "nDCG@10", "Recall@5": "R@5"}


class Evidence(BaseModel):
    report: str
    quote: str
    # the development format quotes the file as written: the quote also counts when a passage's footnote or
    # section path holds it (a line the splitter read as a heading, "Rapporteur : Ms ...", is shown on the card)
    in_notes: bool = False


class GoldQuestion(BaseModel):
    id: str
    kind: str
    question: str
    history: list[str] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    answerable: bool = True


class QuestionResult(BaseModel):
    """One gold question's outcome in one mode; ``metrics`` only for answerable questions."""

    kind: str
    question: str
    history: list[str]
    answerable: bool
    resolved_query: str
    abstained: bool
    note_correct: bool | None
    first_relevant_rank: int | None
    top: list[str]  # "report | section | text" of the first three passages
    best_score: float | None
    metrics: dict[str, float] = Field(default_factory=dict)
    # the answer text's quoted sentences: how many, how many from passages matching everything asked,
    # how many still opening on a reference to a sentence not quoted with them (added later)
    sentences: int = 0
    sentences_matching: int = 0
    sentences_unresolved: int = 0


Summary = dict[str, float | int | None]  # "n", the METRICS, note and abstention figures


class ModeResult(BaseModel):
    overall: Summary
    by_kind: dict[str, Summary]
    questions: dict[str, QuestionResult]
    seconds: float


class EvalReport(BaseModel):
    """What `assistant eval --json` prints and eval/reports/*.json hold."""

    created: str
    gold: str
    questions: int
    index: IndexMeta  # the meta of the index evaluated (model, splitter, size)
    modes: dict[str, ModeResult] = Field(default_factory=dict)
    settings: dict[str, float]
    targets: dict[str, float]
    max_false_abstention: float

    @property
    def best_mode(self) -> str:
        """The mode the by-kind table and the failures are shown for: the default (learned), else
        hybrid+meta, when evaluated."""
        return next((m for m in ("learned", "hybrid+meta") if m in self.modes), next(iter(self.modes)))

    def as_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_unset=True)  # an unanswerable question has no "metrics"

    def as_json(self, indent: int | None = None) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False, indent=indent)

    @classmethod
    def read(cls, path: Path) -> EvalReport | None:
        """A report written by `assistant eval`, or None when there is none or it cannot be read."""
        try:
            return cls.model_validate_json(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None


def load_gold(path: Path, index: IndexData | None = None) -> list[GoldQuestion]:
    """The gold questions of ``path``, one JSON object a line, in the project's format (eval/README.md)
    or in the development format of ``../shared/corpus-dev/gold-dev.jsonl`` (``turns``, ``relevant``
    groups of phrases, ``file``), told apart line by line. A development line is converted with
    ``index`` (see ``from_dev_gold``) and is skipped with a warning when its file is not indexed."""
    if not path.is_file():
        raise UserError(f"gold set {path} not found; pass --gold FILE")
    questions = []
    files: dict[str, str] | None = None
    texts: dict[str, list[str]] | None = None
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            item = _dev_item(line)
            if item is not None:
                if index is None:
                    raise UserError(f"{path}:{n}: a development gold line (turns, relevant, file) needs the index "
                                    "to find its report and evidence")
                if files is None:
                    files, texts = report_files(index), _searchable_texts(index.passages)
                try:
                    question = from_dev_gold(item, files, texts)
                except (KeyError, TypeError, ValueError) as exc:
                    raise UserError(f"{path}:{n}: not a development gold question ({exc.__class__.__name__}); "
                                    "see eval/README.md") from exc
                if question is not None:
                    questions.append(question)
                continue
            try:
                questions.append(GoldQuestion.model_validate_json(line))
            except ValueError as exc:
                raise UserError(f"{path}:{n}: not a gold question ({exc.__class__.__name__}); see eval/README.md") from exc
    return questions


def _dev_item(line: str) -> dict[str, Any] | None:
    """The line's object when it is in the development format (``turns`` and no ``question``), else None."""
    try:
        item = json.loads(line)
    except ValueError:
        return None
    return item if isinstance(item, dict) and "turns" in item and "question" not in item else None


def report_files(index: IndexData) -> dict[str, str]:
    """File name -> report id of the index: its manifest's entries, and the reports' own ``file``."""
    out = {r.file: rid for rid, r in index.reports.items()}
    out.update({entry.file: rid for rid, entry in index.manifest.reports.items()})
    return out


def _searchable_texts(passages: list[Passage]) -> dict[str, list[str]]:
    """Per report, each passage's normalised text, section path and footnotes' texts: where a phrase is
    looked for."""
    out: dict[str, list[str]] = defaultdict(list)
    for p in passages:
        out[p.source] += [_norm(p.text), _norm(p.section or "")]
        out[p.source] += [_norm(n.text) for n in p.footnotes]
    return out


def from_dev_gold(item: dict[str, Any], files: dict[str, str], texts: dict[str, list[str]]) -> GoldQuestion | None:
    """A development gold item as the project's gold question: the report whose file is ``item["file"]``
    (``files``: file name -> report id), the last turn as the question and the earlier ones as its history,
    one evidence quote per relevant group (the group's first phrase found in a passage of that report, its
    section path or one of its footnotes, ``texts`` as ``_searchable_texts`` gives them), the ``footnotes``
    as notes (none when ``marker_in_text`` is false: their numbers are not in the text to be checked),
    and ``abstain`` as not answerable. A group none of whose phrases any passage holds (the splitter cut or
    changed it) is left out with a warning naming it. None, with a warning, when the file is not indexed
    or when no group of an answerable question is found (skipped: never counted as unanswerable)."""
    turns = [str(t) for t in item["turns"]]
    if not turns:
        raise ValueError("no turns")
    qid, fname = str(item["id"]), item.get("file")
    evidence = []
    if fname is not None:
        report = files.get(fname)
        if report is None:
            log.warning("gold question %s skipped: its file %s is not indexed", qid, fname)
            return None
        groups = [[str(ph) for ph in group] for group in item.get("relevant") or []]
        for phrases in groups:
            found = next((ph for ph in phrases if any(_norm(ph) in t for t in texts.get(report, []))), None)
            if found is None:
                log.warning("gold question %s: no passage of %s (%s) holds any of %s; that group is left out",
                            qid, report, fname, phrases)
            else:
                evidence.append(Evidence(report=report, quote=found, in_notes=True))
        if groups and not evidence:
            log.warning("gold question %s skipped: none of its evidence is in a passage of %s (%s)", qid, report, fname)
            return None
    notes = [str(n) for n in item.get("footnotes") or []]
    if notes and item.get("marker_in_text") is False:  # numbers from another rendering: nothing here to check them by
        log.info("gold question %s: its note numbers %s are not in the text (marker_in_text: false); note accuracy "
                 "leaves it out", qid, ", ".join(notes))
        notes = []
    return GoldQuestion(id=qid, kind=str(item["kind"]), question=turns[-1], history=turns[:-1], evidence=evidence,
                        notes=notes,
                        answerable=not item.get("abstain", False))


def _norm(text: str) -> str:
    text = text.replace("“", '"').replace("”", '"').replace("’", "'").replace("‘", "'")
    return re.sub(r"\s+", " ", text).strip().lower()


def relevant_ids(question: GoldQuestion, passages: list[Passage]) -> set[str]:
    """Chunk ids of the passages that hold the question's evidence."""
    out = set()
    for ev in question.evidence:
        quote = _norm(ev.quote)
        out.update(p.chunk_id for p in passages if p.source == ev.report and (
            quote in _norm(p.text) or ev.in_notes and (any(quote in _norm(n.text) for n in p.footnotes)
                                                       or quote in _norm(p.section or ""))))
    return out


def check_gold(questions: list[GoldQuestion], passages: list[Passage]) -> list[str]:
    """Evidence spans that no passage of the index holds: the gold set or the splitter is wrong."""
    problems = []
    for q in questions:
        for ev in q.evidence:
            if not relevant_ids(GoldQuestion(id=q.id, kind=q.kind, question=q.question, evidence=[ev]), passages):
                problems.append(f"{q.id}: no passage of {ev.report} holds {ev.quote!r}")
    return problems


def _note_correct(question: GoldQuestion, answer: Answer, relevant: set[str]) -> bool | None:
    if not question.notes:
        return None
    for hit in answer.passages:
        if hit.chunk_id in relevant:
            return set(question.notes) <= {n.number for n in hit.footnotes}
    return False


OUT_OF_SAMPLE = "learned (out of sample)"
TUTORIAL = "tutorial RAG (baseline)"


def tutorial_baseline(assistant: Assistant, questions: list[GoldQuestion], k: int = 10) -> ModeResult:
    """The RAG of a tutorial, on the same questions: each report's text (as the loaders read it) cut
    by LangChain's RecursiveCharacterTextSplitter into 1,000-character chunks overlapping by 200, the
    same embedding model, a flat FAISS index, the k nearest chunks. A chunk is relevant when it holds a
    quoted phrase of the question's evidence (its report's); it never abstains and cites no notes."""
    import faiss
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from assistant.ingest.loaders import load

    index = assistant.index
    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    chunks: list[tuple[str, str]] = []  # report id, text
    for rid, report in index.reports.items():
        path = assistant.settings.corpus / report.file
        try:
            text = load(path, report.format).text
        except Exception as exc:  # noqa: BLE001 -- a report the baseline cannot read is left out, said so
            log.warning("tutorial baseline: %s left out: %s", path, exc)
            continue
        chunks += [(rid, c) for c in splitter.split_text(text)]
    vectors = assistant.embedder.encode([c for _, c in chunks])
    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)
    per_question = {}
    for q in questions:
        found: list[int] = []
        if q.answerable:
            vector = assistant.embedder.encode([" ".join(q.history + [q.question])])
            _, rows = flat.search(vector, k)
            found = [int(r) for r in rows[0] if r >= 0]

        def holds(row: int, ev: Evidence) -> bool:
            return chunks[row][0] == ev.report and _norm(ev.quote) in _norm(chunks[row][1])

        first = next((i for i, r in enumerate(found, 1) if any(holds(r, ev) for ev in q.evidence)), None)
        metrics = {}
        if q.answerable:
            groups = len(q.evidence) or 1
            metrics = {"Hit@1": float(first == 1), "Hit@5": float(first is not None and first <= 5),
                       "MRR@10": 1 / first if first else 0.0,
                       "nDCG@10": 1 / math.log2(first + 1) if first else 0.0,  # (one relevant chunk counted)
                       "Recall@5": sum(any(holds(r, ev) for r in found[:5]) for ev in q.evidence) / groups}
        per_question[q.id] = QuestionResult(
            kind=q.kind, question=q.question, history=q.history, answerable=q.answerable, resolved_query=q.question,
            abstained=False, note_correct=None, first_relevant_rank=first,
            top=[f"{chunks[r][0]} | {chunks[r][1][:90]}" for r in found[:3]], best_score=None, metrics=metrics)
    return ModeResult(overall=_summary(per_question, questions),
                      by_kind={kind: _summary(per_question, [q for q in questions if q.kind == kind])
                               for kind in sorted({q.kind for q in questions})},
                      questions=per_question, seconds=0.0)


def evaluate(settings: Settings, gold: Path, modes: tuple[str, ...] = MODES, k: int = 10,
             cross_validate: int = 0, baseline: bool = False) -> EvalReport:
    """The gold questions through each mode. ``cross_validate`` (at least 2, with mode ``learned``):
    also the learned ranker out of sample, as mode OUT_OF_SAMPLE: each question ranked by a model
    trained on the questions of the other reports (grouped k-fold, assistant/learning.py).
    ``baseline``: also a tutorial's RAG on the same questions (TUTORIAL, ``tutorial_baseline``); BM25
    alone is mode ``bm25``."""
    import tempfile

    import ir_measures

    assistant = Assistant(settings)
    index = assistant.index
    questions = load_gold(gold, index)
    problems = check_gold(questions, index.passages)
    if problems:
        raise UserError("gold evidence not found in the index: " + "; ".join(problems[:5]) +
                        (f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""))
    qrels = [ir_measures.Qrel(q.id, cid, 1) for q in questions if q.answerable for cid in relevant_ids(q, index.passages)]
    measures = [ir_measures.parse_measure(_IR_NAMES[m]) for m in METRICS]
    report = EvalReport(
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"), gold=str(gold),
        questions=len(questions), index=index.meta, modes={},
        settings={"abstain_below": settings.answer.abstain_below, "fusion_dense_weight": settings.retrieval.fusion_dense_weight,
                  "fusion_bm25_weight": settings.retrieval.fusion_bm25_weight, "fusion_k": settings.retrieval.fusion_k},
        targets=TARGETS, max_false_abstention=MAX_FALSE_ABSTENTION)
    runs: list[tuple[str, str, dict[str, Path]]] = [(mode, mode, {}) for mode in modes]
    folder = tempfile.TemporaryDirectory(prefix="ranker-folds-")
    if cross_validate >= 2 and "learned" in modes:
        from assistant import learning

        examples = learning.collect(assistant, questions, relevant_ids)
        files = learning.write_fold_models(learning.fold_models(examples, cross_validate), Path(folder.name))
        whole = Path(folder.name) / "ranker-all.json"
        learning.fit(examples).save(whole)
        runs.append((OUT_OF_SAMPLE, "learned", {q.id: files.get(q.id, whole) for q in questions}))
    for label, mode, rankers in runs:
        started = time.perf_counter()
        run, per_question = [], {}
        for q in questions:
            answer = assistant.ask(q.question, q.history, k=k, mode=mode, ranker=rankers.get(q.id))
            relevant = relevant_ids(q, index.passages)
            for rank, hit in enumerate(answer.passages, start=1):
                run.append(ir_measures.ScoredDoc(q.id, hit.chunk_id, float(len(answer.passages) - rank + 1)))
            per_question[q.id] = QuestionResult(
                kind=q.kind, question=q.question, history=q.history, answerable=q.answerable,
                resolved_query=answer.resolved_query, abstained=answer.abstained,
                note_correct=_note_correct(q, answer, relevant),
                first_relevant_rank=next((i for i, h in enumerate(answer.passages, 1) if h.chunk_id in relevant), None),
                top=[f"{h.source.id} | {h.source.section} | {h.text[:90]}" for h in answer.passages[:3]],
                best_score=max((h.score for h in answer.passages), default=None), **_sentence_counts(answer))
        answerable_ids = {q.id for q in questions if q.answerable}
        values: dict[str, dict[str, float]] = defaultdict(dict)
        for metric in ir_measures.iter_calc(measures, qrels, [r for r in run if r.query_id in answerable_ids]):
            name = next(m for m, ir in _IR_NAMES.items() if ir == str(metric.measure))
            values[metric.query_id][name] = metric.value
        for qid in answerable_ids:  # a question with nothing retrieved scores 0
            for name in METRICS:
                values[qid].setdefault(name, 0.0)
        for qid, vals in values.items():
            per_question[qid].metrics = vals
        report.modes[label] = ModeResult(
            overall=_summary(per_question, questions),
            by_kind={kind: _summary(per_question, [q for q in questions if q.kind == kind])
                     for kind in sorted({q.kind for q in questions})},
            questions=per_question, seconds=round(time.perf_counter() - started, 2))
    folder.cleanup()
    if baseline:
        started = time.perf_counter()
        report.modes[TUTORIAL] = tutorial_baseline(assistant, questions, k)
        report.modes[TUTORIAL].seconds = round(time.perf_counter() - started, 2)
    return report


def _sentence_counts(answer: Answer) -> dict[str, int]:
    """The answer text's sentences: all, those from a passage matching everything asked, and those that
    open on a reference ("It ...", "A similar ...") without the sentence it points at."""
    from assistant.answer.matching import wanted
    from assistant.answer.sentences import refers_back

    kind = wanted(bool(answer.filters.asked_places()), bool(answer.filters.years))
    by_rank = {h.rank: h for h in answer.passages}
    return {"sentences": len(answer.sentences),
            "sentences_matching": sum(1 for s in answer.sentences if s.rank in by_rank and by_rank[s.rank].match == kind),
            "sentences_unresolved": sum(1 for s in answer.sentences if s.context is None and refers_back(s.text, None))}


def _summary(per_question: dict[str, QuestionResult], questions: list[GoldQuestion]) -> Summary:
    answerable = [per_question[q.id] for q in questions if q.answerable]
    out: Summary = {"n": len(questions)}
    for name in METRICS:
        out[name] = round(statistics.fmean(p.metrics[name] for p in answerable), 4) if answerable else None
    notes = [p.note_correct for p in answerable if p.note_correct is not None]
    out["note_accuracy"] = round(sum(notes) / len(notes), 4) if notes else None
    all_q = [per_question[q.id] for q in questions]
    out["abstention_accuracy"] = round(sum(p.abstained != p.answerable for p in all_q) / len(all_q), 4)
    out["false_abstention"] = round(sum(p.abstained for p in answerable) / len(answerable), 4) if answerable else None
    said = sum(p.sentences for p in all_q)
    out["answer_matching"] = round(sum(p.sentences_matching for p in all_q) / said, 4) if said else None
    out["answer_unresolved"] = round(sum(p.sentences_unresolved for p in all_q) / said, 4) if said else None
    return out


class Failure(BaseModel):
    id: str
    kind: str
    question: str
    history: list[str]
    resolved_query: str
    top: list[str]
    why: str


def failures(report: EvalReport, mode: str = "hybrid+meta") -> list[Failure]:
    """Questions the mode got wrong: relevant passage not first, wrong notes, or wrong abstention."""
    out = []
    for qid, p in report.modes[mode].questions.items():
        reasons = []
        if p.answerable and p.metrics["Hit@1"] < 1:
            reasons.append(f"first relevant at rank {p.first_relevant_rank or '>10'}")
        if p.note_correct is False:
            reasons.append("notes missing on the relevant passage")
        if p.abstained == p.answerable:
            reasons.append("abstained" if p.abstained else "answered an unanswerable question")
        if reasons:
            out.append(Failure(id=qid, kind=p.kind, question=p.question, history=p.history,
                               resolved_query=p.resolved_query, top=p.top, why="; ".join(reasons)))
    return out


def meets_targets(summary: Summary) -> list[str]:
    """The targets a mode's overall summary misses (empty when it meets them all)."""
    missed = [f"{name} {summary[name]} < {target}" for name, target in TARGETS.items()
              if summary.get(name) is not None and summary[name] < target]
    if summary["false_abstention"] is not None and summary["false_abstention"] > MAX_FALSE_ABSTENTION:
        missed.append(f"false_abstention {summary['false_abstention']} > {MAX_FALSE_ABSTENTION}")
    if summary.get("answer_unresolved") is not None and summary["answer_unresolved"] > MAX_UNRESOLVED:
        missed.append(f"answer_unresolved {summary['answer_unresolved']} > {MAX_UNRESOLVED}")
    return missed


def markdown(report: EvalReport) -> str:
    cols = METRICS + ["note_accuracy", "abstention_accuracy", "false_abstention", "answer_matching", "answer_unresolved"]
    lines = [f"# Evaluation {report.created}", "",
             f"Gold set `{report.gold}`: {report.questions} questions; index of "
             f"{report.index.passages} passages, model {report.index.model.name}.", "",
             "| mode | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for mode, data in report.modes.items():
        s = data.overall
        lines.append(f"| {mode} | " + " | ".join("-" if s.get(c) is None else f"{s[c]:.3f}" for c in cols) + " |")
    best = report.best_mode
    lines += ["", f"## By question kind ({best})", "", "| kind | n | " + " | ".join(cols) + " |",
              "|---" * (len(cols) + 2) + "|"]
    for kind, s in report.modes[best].by_kind.items():
        lines.append(f"| {kind} | {s['n']} | " + " | ".join("-" if s.get(c) is None else f"{s[c]:.3f}" for c in cols) + " |")
    if OUT_OF_SAMPLE in report.modes and "learned" in report.modes:
        inside, outside = report.modes["learned"], report.modes[OUT_OF_SAMPLE]
        shown = ["Hit@1", "MRR@10", "Recall@5"]
        lines += ["", "## The learned ranker in and out of sample", "",
                  "In sample: the model as configured (trained on these questions if they were in its "
                  "training set); out of sample: each question ranked by a model trained without the "
                  "questions of its report (grouped cross-validation).", "",
                  "| kind | n | " + " | ".join(f"{m} in | {m} out" for m in shown) + " |",
                  "|---" * (2 + 2 * len(shown)) + "|"]
        rows = [("all", inside.overall, outside.overall)] + [
            (kind, s, outside.by_kind[kind]) for kind, s in inside.by_kind.items() if kind in outside.by_kind]
        for kind, a, b in rows:
            lines.append(f"| {kind} | {a['n']} | " + " | ".join(
                f"{'-' if a[m] is None else format(a[m], '.3f')} | {'-' if b[m] is None else format(b[m], '.3f')}"
                for m in shown) + " |")
    missed = meets_targets(report.modes[best].overall)
    lines += ["", "Targets: " + ("all met" if not missed else "missed: " + "; ".join(missed)), "",
              f"## Failed questions ({best})", ""]
    for f in failures(report, best):
        history = f" (after: {' / '.join(f.history)})" if f.history else ""
        lines.append(f"- **{f.id}** [{f.kind}] {f.question}{history} — {f.why}; searched "
                     f"\"{f.resolved_query}\"; got: " + " || ".join(f.top))
    return "\n".join(lines) + "\n"


def write_report(report: EvalReport, folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    stamp = report.created.replace(":", "").replace("-", "")
    json_path, md_path = folder / f"eval-{stamp}.json", folder / f"eval-{stamp}.md"
    json_path.write_text(report.as_json(indent=1), encoding="utf-8")
    md_path.write_text(markdown(report), encoding="utf-8")
    (folder / "latest.json").write_text(json_path.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "latest.md").write_text(md_path.read_text(encoding="utf-8"), encoding="utf-8")
    return json_path, md_path


def calibrate(settings: Settings, gold: Path, k: int = 10) -> dict[str, Any]:
    """Choose the fusion weights (best hybrid+meta MRR@10 on the answerable gold questions; ties go to
    the plainest setting) and then the abstention threshold (best abstention accuracy with at most 3%
    false abstentions; the middle of the widest gap between answerable and unanswerable scores)."""
    import itertools

    import ir_measures

    from assistant.retrieval.pipeline import FusionWeights, rank
    from assistant.retrieval.signals import abstains

    assistant = Assistant(settings)
    index = assistant.index
    questions = load_gold(gold, index)
    relevant = {q.id: relevant_ids(q, index.passages) for q in questions}
    # Each question understood once, as the session does, and embedded once; then ranked by the pipeline
    # the session calls, in mode hybrid+meta, for every point of the grid.
    understood = {q.id: assistant.understand(q.question, q.history, index) for q in questions}
    vectors = {qid: assistant.embedder.encode([query.resolved])[0] for qid, query in understood.items()}

    def ranked(q: GoldQuestion, weights: FusionWeights):
        return rank(index, understood[q.id], vectors[q.id], k=k, candidates=settings.retrieval.candidates, mode="hybrid+meta",
                    weights=weights)

    qrels = [ir_measures.Qrel(q.id, cid, 1) for q in questions if q.answerable for cid in relevant[q.id]]
    grid = []
    for dense_w, bm25_w, rrf_k in itertools.product([0.5, 1.0, 1.5, 2.0], [0.5, 1.0, 1.5, 2.0], [10.0, 30.0, 60.0]):
        weights = FusionWeights(dense=dense_w, bm25=bm25_w, k=rrf_k)
        run = []
        for q in questions:
            if q.answerable:
                ranking = ranked(q, weights)
                run += [ir_measures.ScoredDoc(q.id, h.passage.chunk_id, float(k - i)) for i, h in enumerate(ranking.hits)]
        mrr = ir_measures.calc_aggregate([ir_measures.RR @ 10], qrels, run)[ir_measures.RR @ 10]
        plain = abs(dense_w - 1) + abs(bm25_w - 1) + abs(rrf_k - 60) / 60
        grid.append({"dense": dense_w, "bm25": bm25_w, "k": rrf_k, "MRR@10": round(mrr, 4), "_plain": plain})
    best = max(grid, key=lambda g: (g["MRR@10"], -g["_plain"]))
    weights = FusionWeights(dense=best["dense"], bm25=best["bm25"], k=best["k"])
    rankings = [(q.answerable, ranked(q, weights)) for q in questions]
    scored = [(a, r.best_score, r.country_known) for a, r in rankings]
    answerable = sorted(s for a, s, _ in scored if a)
    candidates = sorted({round(s, 4) for _, s, _ in scored} | {0.0})
    options = []
    for lo, hi in zip(candidates, candidates[1:] + [1.0]):
        threshold = (lo + hi) / 2
        abstain = [abstains(r, threshold) for _, r in rankings]  # the rule Assistant.ask applies
        accuracy = sum(ab != a for ab, (a, _, _) in zip(abstain, scored)) / len(scored)
        false = sum(ab for ab, (a, _, _) in zip(abstain, scored) if a) / max(1, len(answerable))
        if false <= MAX_FALSE_ABSTENTION:
            options.append((round(accuracy, 4), round(hi - lo, 4), round(threshold, 3), round(false, 4)))
    accuracy, gap, threshold, false = max(options)
    return {"fusion": {k_: best[k_] for k_ in ("dense", "bm25", "k", "MRR@10")},
            "grid": sorted(({k_: g[k_] for k_ in ("dense", "bm25", "k", "MRR@10")} for g in grid),
                           key=lambda g: -g["MRR@10"])[:10],
            "abstain_below": threshold, "abstention_accuracy": accuracy, "false_abstention": false, "gap": gap,
            "lowest_answerable_score": answerable[0] if answerable else None,
            "highest_unanswerable_score": max((s for a, s, _ in scored if not a), default=None)}


def train_ranker(settings: Settings, golds: list[Path], out: Path, folds: int = 5) -> dict[str, Any]:
    """See ``api.train_ranker``."""
    import numpy as np

    from assistant import learning

    assistant = Assistant(settings)
    questions = [q for gold in golds for q in load_gold(gold, assistant.index)]
    examples = learning.collect(assistant, questions, relevant_ids)
    models = learning.fold_models(examples, folds)

    def first_relevant(model, example: learning.Example) -> int | None:
        order = np.argsort(-model.score(example.X), kind="stable")
        return next((i for i, j in enumerate(order, 1) if example.y[j]), None)

    def figures(ranks: list[int | None]) -> dict[str, float]:
        return {"Hit@1": round(statistics.fmean(r == 1 for r in ranks), 4),
                "MRR@10": round(statistics.fmean(1 / r if r and r <= 10 else 0.0 for r in ranks), 4)}

    whole = learning.fit(examples)
    about = {"gold": [g.name for g in golds], "questions": len(examples),
             "reports": len({e.group for e in examples}), "candidates": settings.retrieval.candidates,
             "index_passages": len(assistant.index.passages), "folds": folds,
             "in_sample": figures([first_relevant(whole, e) for e in examples]),
             "out_of_sample": figures([first_relevant(models[e.question], e) for e in examples]),
             "created": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    whole.about.update(about)  # the model scored in sample above, saved with what it records
    whole.save(out)
    return about


def train_abstention(settings: Settings, golds: list[Path], out: Path, folds: int = 5) -> dict[str, Any]:
    """See ``api.train_abstention``."""

    from assistant import learning

    assistant = Assistant(settings)
    questions = [q for gold in golds for q in load_gold(gold, assistant.index)]
    examples = learning.collect_abstention(assistant, questions)
    outside = learning.abstention_cv(examples, folds)

    def figures(abstained: dict[str, bool]) -> dict[str, float]:
        answerable = [e for e in examples if not e.unanswerable]
        return {"abstention_accuracy": round(statistics.fmean(abstained[e.question] == e.unanswerable for e in examples), 4),
                "false_abstention": round(statistics.fmean(abstained[e.question] for e in answerable), 4),
                "unanswerable_declined": round(statistics.fmean(abstained[e.question] for e in examples if e.unanswerable), 4)}

    whole = learning.fit_abstention(examples, folds=folds)
    inside = {e.question: bool(e.hard or whole.probability(e.x[None, :])[0] > whole.about["cut"])
              for e in examples}
    about = {"gold": [g.name for g in golds], "questions": len(examples),
             "unanswerable": sum(e.unanswerable for e in examples), "mode": settings.retrieval.mode,
             "folds": folds, "in_sample": figures(inside), "out_of_sample": figures(outside),
             "cut": whole.about["cut"], "created": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    whole.about.update(about)
    whole.save(out)
    return about


# ---- timelines and comparisons: are the groups complete and correct? ------------------------------

GROUPS_TARGET = 0.9  # share of timeline and comparison questions whose groups are all right


class GroupQuestionResult(BaseModel):
    kind: str
    question: str
    expected: list[str]  # the group labels asked for ("Greece", "2022"), "(empty)" marking an empty one
    got: list[str]  # the answer's groups, the same way
    wrong: list[str] = Field(default_factory=list)  # what is wrong, group by group
    complete: bool = False


class GroupsReport(BaseModel):
    """What `assistant eval --gold eval/gold-groups.jsonl` reports: per question whether the answer came
    in the asked groups, each non-empty group holding a passage with its evidence among its passages and
    each empty one said to be empty."""

    created: str
    gold: str
    questions: int
    complete: float  # share of questions whose groups are all right (target GROUPS_TARGET)
    groups_right: float  # share of all groups that are right
    empty_said: float | None  # of the groups the corpus has nothing on, the share the answer said so
    results: dict[str, GroupQuestionResult]


def is_groups_gold(gold: Path) -> bool:
    """Whether the gold file holds timeline and comparison questions (lines with "groups")."""
    try:
        with gold.open(encoding="utf-8") as fh:
            first = next((line for line in fh if line.strip()), "")
        return "groups" in json.loads(first) if first else False
    except (OSError, ValueError):
        return False


def evaluate_groups(settings: Settings, gold: Path) -> GroupsReport:
    """Ask each timeline and comparison question of ``gold`` (see GroupsReport) in the settings' mode."""
    assistant = Assistant(settings)
    items = [json.loads(line) for line in gold.read_text(encoding="utf-8").splitlines() if line.strip()]
    results: dict[str, GroupQuestionResult] = {}
    right = total = said = empties = 0
    for item in items:
        answer = assistant.ask(item["question"], item.get("history") or [])
        got = {g.label: g for g in answer.groups}
        wrong = []
        for expected in item["groups"]:
            total += 1
            group = got.get(expected["label"])
            if expected.get("empty"):
                empties += 1
                ok = group is not None and group.empty
                said += ok
                if not ok:
                    wrong.append(f"{expected['label']}: not said to be empty")
            else:
                quotes = [_norm(e["quote"]) for e in expected["evidence"]]
                texts = [] if group is None else [
                    _norm(" ".join([p.text, p.source.section or "", *(n.text for n in p.footnotes)]))
                    for p in (answer.passages[r - 1] for r in group.ranks)]
                ok = any(q in t for q in quotes for t in texts)
                if not ok:
                    wrong.append(f"{expected['label']}: " + ("no such group" if group is None else
                                                             "said to be empty" if group.empty else
                                                             "none of its passages holds the evidence"))
            right += ok
        labels = [g["label"] + (" (empty)" if g.get("empty") else "") for g in item["groups"]]
        got_labels = [g.label + (" (empty)" if g.empty else "") for g in answer.groups]
        if [g["label"] for g in item["groups"]] != [g.label for g in answer.groups]:
            wrong.insert(0, f"groups {got_labels} where {labels} were asked")
        results[item["id"]] = GroupQuestionResult(kind=item.get("kind", ""), question=item["question"],
                                                  expected=labels, got=got_labels, wrong=wrong, complete=not wrong)
    n = len(results)
    return GroupsReport(created=datetime.now(timezone.utc).isoformat(timespec="seconds"), gold=str(gold),
                        questions=n, complete=round(sum(r.complete for r in results.values()) / n, 4) if n else 0.0,
                        groups_right=round(right / total, 4) if total else 0.0,
                        empty_said=round(said / empties, 4) if empties else None, results=results)


def groups_markdown(report: GroupsReport) -> str:
    lines = [f"# Timelines and comparisons {report.created}", "", f"Gold set `{report.gold}`: {report.questions} questions.",
             "", "| measure | value | target |", "|---|---|---|",
             f"| questions whose groups are all right | {report.complete:.3f} | >= {GROUPS_TARGET} |",
             f"| groups right | {report.groups_right:.3f} | |",
             f"| empty groups said to be empty | {'-' if report.empty_said is None else f'{report.empty_said:.3f}'} | |",
             "", "## Questions not complete", ""]
    for qid, r in report.results.items():
        if not r.complete:
            lines.append(f"- **{qid}** [{r.kind}] {r.question} — " + "; ".join(r.wrong))
    return "\n".join(lines) + "\n"
