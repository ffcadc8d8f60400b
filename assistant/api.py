"""The library API: one call per user verb, each returning a typed model. The `assistant` command
(ui/cli.py) and the web chat (ui/app.py) only parse input, call these, and render what comes back.

    ask(settings, question, ...)      -> Answer          (also Assistant(settings).ask, for a session)
    build(settings, full=...)         -> BuildSummary    `assistant index`
    add(settings, paths, metadata)    -> Added           `assistant index add`, the web upload
    remove(settings, report)          -> Removed         `assistant index remove`, the web's Remove
    status(settings)                  -> IndexStatus     `assistant index status`
    rollback(settings)                -> RolledBack      `assistant index rollback`
    inspect(settings, report=None)    -> Inspection      `assistant inspect`
    evaluate(settings, gold, modes)   -> EvalReport      `assistant eval`
    calibrate(settings, gold)         -> dict            `assistant eval --calibrate`

No model and no index is loaded at import; the index, build and corpus modules are imported by the
verbs that need them, when called, and the CLI imports this module only inside its commands, so
`assistant --help` stays instant. Every verb raises UserError (one line, what to do) for what a user can fix.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.admin import admin_state, check_password, is_local
from assistant.errors import Interrupted, UserError
from assistant.models import Answer
from assistant.results import (Added, ChatTurn, Inspection, PassageRecord, Removed, RolledBack, ServedReport,
                               ServingState)
from assistant.ingest.pipeline import PROGRESS_LOG, Progress  # Progress: on_progress(stage, done, total)
from assistant.retrieval.normalize import check_k, k_message, normalize_text
from assistant.session import MAX_QUESTION_CHARS, Assistant
from assistant.settings import Settings

if TYPE_CHECKING:
    from assistant.evaluation import EvalReport, GroupsReport
    from assistant.models import BuildSummary, IndexStatus

__all__ = ["Added", "AddedNotIndexed", "Assistant", "ChatTurn", "EvalReport", "Inspection", "Interrupted",
           "MAX_QUESTION_CHARS", "METRICS", "PROGRESS_LOG", "PassageRecord", "Removed", "RolledBack",  # noqa: F822 (lazy, see __getattr__)
           "ServedReport", "ServingState", "UserError", "add", "admin_state", "ask", "build", "calibrate",
           "check_k", "check_password", "evaluate", "failures", "file_types", "index_exists", "inspect",  # noqa: F822
           "is_local", "k_message", "latest_report", "markdown", "normalize_text", "remove",
           "remove_staging", "rollback", "status", "write_report"]

_FROM_EVALUATION = {"METRICS", "EvalReport", "failures", "groups_markdown", "is_groups_gold"}


def __getattr__(name: str) -> Any:
    """The evaluation's names, imported when first asked for: a question never needs them (0.2 s)."""
    if name in _FROM_EVALUATION:
        from assistant import evaluation

        return getattr(evaluation, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _FROM_EVALUATION)

def ask(settings: Settings, question: str, history: list[str] | None = None, k: int | None = None,
        **filters: Any) -> Answer:
    """Answer one question (a new session: it reads the index). A server keeps an `Assistant` instead."""
    return Assistant(settings).ask(question, history, k=k, **filters)


def _interrupted(settings: Settings) -> Interrupted:
    from assistant.index import stores

    served = stores.current_version(settings)
    return Interrupted("interrupted; " + (f"the index being served ({served}) is unchanged" if served else
                                        "no index was written") + ". What was embedded is kept in the cache: "
                       "the next `assistant index` starts from there")


def build(settings: Settings, full: bool = False, on_progress: Progress | None = None) -> BuildSummary:
    """Bring the index up to date with the corpus (``full``: parse and embed everything again)."""
    from assistant.index.build import build_index

    try:
        return build_index(settings, full=full, on_progress=on_progress)
    except KeyboardInterrupt:
        raise _interrupted(settings) from None


def add(settings: Settings, paths: list[Path], metadata: dict[str, Any] | None = None,
        on_progress: Progress | None = None, names: list[str | None] | None = None) -> Added:
    """Copy reports into the corpus, describe them in sources.toml, and update the index.

    The file's type and size are checked, its name sanitised (``names``: the names a user gave, for
    an upload whose temporary path differs). When the build fails the reports stay added and the
    error says how to retry or undo."""
    from assistant.ingest.corpus import add_report

    metadata = {k: v for k, v in (metadata or {}).items() if v is not None}
    if len(paths) > 1 and metadata:
        raise UserError("--id, --title, --year and the other metadata flags describe one report; add one PATH at a time")
    names = names or [None] * len(paths)
    added = [add_report(settings.corpus, Path(path), metadata, name=name, parsing=settings.parsing)
             for path, name in zip(paths, names)]
    try:
        summary = build(settings, on_progress=on_progress)
    except Exception as exc:  # a UserError or a bug: either way the reports are added, not indexed
        raise AddedNotIndexed(added, exc) from exc
    return Added(reports=added, build=summary)


class AddedNotIndexed(UserError):
    """`add` copied the reports into the corpus, but the build that should index them failed or was
    interrupted: the message says how to retry or undo (``reports``, ``cause`` for other wordings)."""

    def __init__(self, reports: list[Any], cause: BaseException) -> None:
        self.reports, self.cause = reports, cause
        self.exit_code = getattr(cause, "exit_code", 2)
        undo = " and ".join(f"`assistant index remove {r.id}`" for r in reports)
        super().__init__(
            f"{self.reason.rstrip('.')}. The report{'s are' if len(reports) > 1 else ' is'} in the corpus but not "
            f"in the index: run `assistant index` to try again, or {undo} to undo the add")

    @property
    def reason(self) -> str:
        cause = self.cause
        return str(cause) if isinstance(cause, UserError) else f"the build failed ({cause.__class__.__name__}: {cause})"


def remove(settings: Settings, report: str, on_progress: Progress | None = None) -> Removed:
    """Take a report (id or file name) out of the corpus and the index, in one new version."""
    from assistant.index.remove import remove_report

    try:
        removal, summary = remove_report(settings, report, on_progress=on_progress)
    except KeyboardInterrupt:
        raise Interrupted("interrupted; nothing was removed: the report is still in the corpus and the index") from None
    return Removed(report=removal.report, files=removal.files, moved_to=removal.moved_to, build=summary)


def status(settings: Settings) -> IndexStatus:
    """What is indexed, what changed on disk since, and whether the index is current."""
    from assistant.index.status import index_status

    return index_status(settings)


def rollback(settings: Settings) -> RolledBack:
    """Serve the previous index version again (a running web chat switches on its next question)."""
    from assistant.index import stores
    from assistant.index.lock import BuildLock

    with BuildLock(settings.index):
        before, after = stores.rollback(settings)
    return RolledBack(before=before, after=after)


def inspect(settings: Settings, report: str | None = None) -> Inspection:
    """What the index holds: every passage with its pages (of one report, with that report's notes, warnings
    and reading quality: ``document.quality``)."""
    from assistant.index import stores

    data = stores.read(settings)
    if report and report not in data.reports:
        raise UserError(f"no report '{report}' in the index; known: {', '.join(sorted(data.reports))}")
    records = [PassageRecord.of(p, data.reports[p.source]) for p in data.passages
               if not report or p.source == report]
    return Inspection(version=data.version, report=data.reports[report] if report else None,
                      document=data.documents.get(report) if report else None, passages=records)


def evaluate(settings: Settings, gold: Path, modes: tuple[str, ...] | None = None,
             cross_validate: int = 0, baseline: bool = False) -> EvalReport:
    """Run the gold questions through the retrieval modes and score them; with ``cross_validate`` (k
    folds grouped by report) also the learned ranker out of sample; with ``baseline`` a tutorial's RAG."""
    from assistant import evaluation
    from assistant.retrieval.pipeline import MODES

    return evaluation.evaluate(settings, gold, tuple(modes or MODES), cross_validate=cross_validate,
                               baseline=baseline)


def evaluate_groups(settings: Settings, gold: Path) -> GroupsReport:
    """Ask the gold file's timeline and comparison questions and score their groups (complete and right)."""
    from assistant import evaluation

    return evaluation.evaluate_groups(settings, gold)


def train_ranker(settings: Settings, golds: list[Path], out: Path, folds: int = 5) -> dict:
    """Train the learned ranker on the answerable questions of the gold files (on the settings'
    index) and save it to ``out``; returns what the model file records about its training, with the
    out-of-sample figures of grouped cross-validation (candidates ordered by each fold's model)."""
    from assistant import evaluation

    return evaluation.train_ranker(settings, golds, out, folds)


def train_abstention(settings: Settings, golds: list[Path], out: Path, folds: int = 5) -> dict:
    """Train the abstention model on the gold files' questions, answerable and not (ranked in the
    settings' mode), and save it to ``out``; returns what it records, with the out-of-sample
    abstention accuracy and false abstentions of grouped cross-validation."""
    from assistant import evaluation

    return evaluation.train_abstention(settings, golds, out, folds)


def latest_report(settings: Settings) -> EvalReport | None:
    """The latest report `assistant eval` wrote into ``settings.eval_reports``, if any."""
    from assistant.evaluation import EvalReport

    return EvalReport.read(settings.eval_reports / "latest.json")


def markdown(report: EvalReport) -> str:
    """An evaluation report as Markdown: metrics per mode, by question kind, targets, failures."""
    from assistant import evaluation

    return evaluation.markdown(report)


def write_report(report: EvalReport, folder: Path) -> tuple[Path, Path]:
    """Write an evaluation report as JSON and Markdown (and latest.json / latest.md) into ``folder``."""
    from assistant import evaluation

    return evaluation.write_report(report, folder)


def calibrate(settings: Settings, gold: Path) -> dict[str, Any]:
    """Fusion weights and the abstention threshold chosen on a gold set (see evaluation.calibrate)."""
    from assistant import evaluation

    return evaluation.calibrate(settings, gold)


def file_types() -> list[str]:
    """The report file suffixes the corpus takes (.txt, .md, .html, .pdf and their variants)."""
    from assistant.ingest.corpus import FORMATS

    return sorted(FORMATS)


def index_exists(settings: Settings) -> bool:
    """Whether CURRENT (or the Milvus alias) names a version (cheap: nothing is read)."""
    from assistant.index import stores

    return stores.exists(settings)


def remove_staging(settings: Settings) -> None:
    """Half-written versions left by a killed build go, unless a build is running now."""
    from assistant.index import store, stores
    from assistant.index.lock import BuildLock

    if stores.in_milvus(settings) or not (settings.index / store.VERSIONS).is_dir():
        return  # Milvus: only a build drops what a killed build left (app servers may share it with builds elsewhere)
    try:
        with BuildLock(settings.index):
            stores.remove_staging(settings)
    except UserError:
        pass  # a build holds the lock: its folder is not stale
