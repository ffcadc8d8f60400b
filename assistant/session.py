"""The question-answering session: serves the current index version and answers questions from it
(`Assistant`); the library API (`assistant.api`) and the evaluation build on it."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from assistant.answer import compose_answer, country, groups
from assistant.answer.compose import compose_groups
from assistant.embedding import Embedder
from assistant.errors import StoreUnavailable, UserError
from assistant.index import stores
from assistant.index.store import IndexData
from assistant.models import Answer, CountryPage, Filters, Passage, PassageHit, SourceRef
from assistant.results import ServedReport, ServingState
from assistant.retrieval import signals
from assistant.retrieval.normalize import EMPTY_QUESTION, check_history, check_k, check_question, normalize_text
from assistant.retrieval.pipeline import FusionWeights, Ranking, rank
from assistant.retrieval.query import Query, understand, with_filters
from assistant.retrieval.query import prepare as prepare_questions
from assistant.settings import Retrieval, Settings

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = Retrieval.model_fields["max_question_chars"].default  # settings.retrieval.max_question_chars


def clean_question(text: str | None, limit: int = MAX_QUESTION_CHARS) -> str:
    """A question as searched: normalised (``normalize_text``: surrogates repaired, zero-width and other
    format characters out, control characters out, NFKC), at most ``limit`` characters."""
    return normalize_text(text or "").strip()[:limit].strip()


class Assistant:
    """Answers questions from the index in ``settings.index``; picks up a rebuilt index on the next question."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.embedder = Embedder(settings)
        self._index: IndexData | None = None
        self._refused: dict[str, str] = {}  # version -> why it cannot be served
        self.notice: str | None = None  # set while serving an older version than CURRENT names
        self._lock = threading.Lock()
        self._themes = None  # the themes' vectors (country pages), embedded on first use
        self._theme_of: dict[str, str] = {}  # chunk id -> its theme, for the country pages

    @property
    def index(self) -> IndexData:
        """The index to answer from: the version CURRENT names, read once and kept until CURRENT changes.

        A version that cannot be read (damaged files, another model) is refused once, by name, and not
        tried again; the assistant keeps serving what it had, or, at start, the newest older version that
        reads. ``notice`` then says what happened and how to repair it.
        """
        with self._lock:
            index_dir = stores.where(self.settings)
            try:
                version = stores.current_version(self.settings)
            except UserError:
                if self._index is None:
                    raise
                version = None  # Milvus unreachable: what was loaded stays (its searches will say what failed)
            if self._index is not None and (version is None or version == self._index.version
                                            or version in self._refused):
                return self._index
            if self._index is None and version in self._refused:
                raise UserError(self._refused[version])
            try:
                loaded = self._load(version)
            except StoreUnavailable:
                if self._index is None:
                    raise  # nothing to serve meanwhile; asked again on the next question
                log.warning("could not load index %s now (the store is unreachable); still serving %s", version,
                            self._index.version)
                return self._index
            except UserError as exc:
                if version is not None:
                    self._refused[version] = str(exc)
                    log.error("index version %s cannot be served: %s", version, exc)
                fallback = self._index or self._fallback(version)
                if fallback is None:
                    raise
                self._index = fallback
                self.notice = (f"Index {version or 'named in CURRENT'} cannot be served ({exc}). Serving "
                               f"{fallback.version} instead; repair with `assistant index --full` or "
                               "`assistant index rollback`.")
                log.warning(self.notice)
                return self._index
            self._index, self.notice = loaded, None
            log.info("serving index %s from %s: %d passages", loaded.version, index_dir, len(loaded.passages))
            return self._index

    def state(self) -> ServingState:
        """What this session serves now (reading CURRENT again), with the warning when it serves an older
        version than CURRENT names; ``error`` when no version can be served."""
        try:
            index = self.index
        except UserError as exc:
            return ServingState(error=str(exc))
        meta = index.meta
        return ServingState(version=index.version, reports=len(index.reports), passages=len(index.passages),
                            model=meta.model.name, built_at=meta.built_at, warning=self.notice)

    def reports(self) -> list[ServedReport]:
        """The reports of the version served, with their passage and note counts; none when no index
        can be served (``state().error`` says why)."""
        try:
            index = self.index
        except UserError:
            return []
        rows = index.metadata.by_report  # the version's rows by report, kept with it: nothing counted per answer
        return [ServedReport(report=r, passages=len(rows.get(r.id, ())),
                             notes=len(doc.notes) if (doc := index.documents.get(r.id)) else 0,
                             quality=doc.quality if doc else None)
                for r in index.reports.values()]

    def report_file(self, name: str) -> Path | None:
        """The corpus file of a PDF report of the version served, by its file name as indexed (what the
        web chat's page links open); None for any other name: a file not in that version, not a PDF,
        gone from the corpus, or a path that leaves the corpus folder."""
        try:
            index = self.index
        except UserError:
            return None
        if name not in {r.file for r in index.reports.values() if r.format == "pdf"}:
            return None
        corpus = Path(self.settings.corpus).resolve()
        path = (corpus / name).resolve()
        return path if path.parent == corpus and path.is_file() else None

    def load(self) -> ServingState:
        """Read the index, its metadata arrays and the model now, so the first question is answered at
        once (the web chat calls this in the background at start)."""
        state = self.state()
        if state.error is None:
            self.index.metadata  # noqa: B018 - built on first use otherwise
        prepare_questions()  # the country tables question understanding uses
        self.embedder.encode(["load"])  # loads the weights and starts the inference session
        return state

    def load_in_background(self) -> threading.Thread:
        """``load`` in a thread of its own (a missing or broken index is reported by the first question
        and the status line, not here)."""
        def run() -> None:
            try:
                self.load()
            except Exception:
                log.exception("loading the index and the model failed")

        thread = threading.Thread(target=run, name="warm-up", daemon=True)
        thread.start()
        return thread

    def _load(self, version: str | None) -> IndexData:
        loaded = stores.read(self.settings, version)
        self._check_model(loaded)
        return loaded

    def _fallback(self, broken: str | None) -> IndexData | None:
        """The newest version older than the broken one that reads and fits the model, if any."""
        for older in reversed(stores.versions(self.settings)):
            if broken is not None and int(older[1:]) >= int(broken[1:]):
                continue
            try:
                return self._load(older)
            except StoreUnavailable:
                raise
            except UserError as exc:
                self._refused[older] = str(exc)
                log.error("index version %s cannot be served either: %s", older, exc)
        return None

    def _check_model(self, index: IndexData) -> None:
        from assistant.index.compat import SERVE_ADVICE, check_model

        check_model(index.meta, self.embedder, stores.where(self.settings), SERVE_ADVICE)

    def understand(self, question: str, history: list[str] | None = None, index: IndexData | None = None) -> Query:
        """The question as searched: checked and normalised (at most ``max_question_chars``, the last
        ``max_history`` earlier questions), its countries and years, a follow-up resolved."""
        limits = self.settings.retrieval
        question = clean_question(check_question(question), limits.max_question_chars)
        if not question:
            raise UserError(EMPTY_QUESTION)
        history = check_history(history)
        recent = history[-limits.max_history:] if limits.max_history else []  # the most recent ones
        history = [h for h in (clean_question(h, limits.max_question_chars) for h in recent) if h]
        return understand(question, history, (index or self.index).newest_year())

    def retrieve(self, question: str, history: list[str] | None = None, k: int | None = None,
                 mode: str | None = None, weights: FusionWeights | None = None, countries: list[str] | None = None,
                 years: list[int] | None = None, reports: list[str] | None = None,
                 index: IndexData | None = None, ranker: Path | None = None) -> tuple[Query, Ranking]:
        """Understand the question and rank passages: everything but the answer text (see ``_retrieve``)."""
        query, _, ranking = self._retrieve(question, history, k, mode, weights, countries, years, reports, index, ranker)
        return query, ranking

    def _retrieve(self, question: str, history: list[str] | None = None, k: int | None = None,
                  mode: str | None = None, weights: FusionWeights | None = None, countries: list[str] | None = None,
                  years: list[int] | None = None, reports: list[str] | None = None,
                  index: IndexData | None = None, ranker: Path | None = None):
        """Understand the question and rank passages: everything but the answer text.

        ``countries`` and ``years`` replace what was understood (the chips a user removed or changed);
        ``reports`` limits the search to those reports; ``ranker``: the learned mode's model file in place
        of the setting's (the evaluation's cross-validation ranks each question with its fold's).

        What a caller sends is checked and normalised first, the same for the CLI and the web API: the
        question and the history items are text (``normalize_text``), ``k`` is from 1 to MAX_K;
        anything else raises UserError with the message the CLI prints."""
        k = self.settings.retrieval.k if k is None else check_k(k)
        index = index or self.index  # one version for the whole question, even if a rebuild lands meanwhile
        query = self.understand(question, history, index)
        if countries is not None or years is not None:
            query = with_filters(query, countries, years)
        unknown = sorted(set(reports or []) - set(index.reports))
        if unknown:
            raise UserError(f"no report {', '.join(unknown)} in the index; known: {', '.join(sorted(index.reports))}")
        vector = self.embedder.encode([query.resolved])[0]
        return query, vector, self._rank(index, query, vector, k, mode, weights, reports, ranker)

    def _rank(self, index: IndexData, query: Query, vector, k: int, mode: str | None, weights: FusionWeights | None,
              reports: list[str] | None, ranker: Path | None, candidates: int | None = None,
              timings: dict[str, float] | None = None) -> Ranking:
        weights = weights or FusionWeights(dense=self.settings.retrieval.fusion_dense_weight,
                                           bm25=self.settings.retrieval.fusion_bm25_weight, k=self.settings.retrieval.fusion_k)
        return rank(index, query, vector, k=k, candidates=candidates or self.settings.retrieval.candidates,
                    mode=mode or self.settings.retrieval.mode, weights=weights, sources=set(reports) if reports else None,
                    ranker=ranker or self.settings.retrieval.ranker, timings=timings)

    def abstains(self, ranking: Ranking) -> bool:
        """Nothing relevant enough: no passage about the country asked, or none close enough."""
        return signals.abstains(ranking, self.settings.answer.abstain_below)

    def ask(self, question: str, history: list[str] | None = None, k: int | None = None,
            mode: str | None = None, countries: list[str] | None = None, years: list[int] | None = None,
            reports: list[str] | None = None, ranker: Path | None = None) -> Answer:
        index = self.index
        query, vector, ranking = self._retrieve(question, history, k, mode, countries=countries, years=years,
                                                reports=reports, index=index, ranker=ranker)
        abstained = self.abstains(ranking)
        plan = None if abstained else groups.plan(query)
        hits = list(ranking.hits)
        if plan is None:
            composed = compose_answer(query, ranking, abstained, self.settings.answer.answer_sentences,
                                      index.metadata.periods)
        else:  # a timeline or a comparison: each group searched on its own
            found = [(cell, self._group(index, query, vector, cell, hits, mode, reports, ranker)) for cell in plan[1]]
            composed = compose_groups(query, found, [h.passage for h in hits], index.metadata.periods)
        passages = []
        for i, (hit, kind) in enumerate(zip(hits, composed.matches), start=1):
            report = index.reports[hit.passage.source]
            passages.append(PassageHit(
                rank=i, score=round(hit.score, 4), chunk_id=hit.passage.chunk_id, text=hit.passage.text,
                source=SourceRef(id=report.id, title=report.title, year=report.year, url=report.url,
                                 section=hit.passage.section, pages=list(hit.passage.pages), ocr=hit.passage.ocr),
                footnotes=hit.passage.footnotes, match=kind,
            ))
        text, status, page = composed.text, composed.status, None
        if not reports and not query.origins and country.asks_country_alone(query.constraint_countries, query.years,
                                                                             query.topic):
            page = self.country_page(query.constraint_countries[0], index)  # "Bulgaria", "Tell me about Bulgaria"
            if page.passages:  # the page answers, whatever the ranking's abstention said
                text = country.summary(page) + ("" if abstained else f"\n\n{text}")
                abstained, status = False, "answered" if status == "none" else status
        return Answer(query=query.text, resolved_query=query.resolved,
                      filters=Filters(countries=query.countries, years=query.years, topic=query.topic,
                                      places=query.constraint_countries),
                      abstained=abstained, status=status, missing=composed.missing,
                      answer=text, sentences=composed.sentences, passages=passages,
                      index_version=index.version, grouped_by=plan[0] if plan else None, groups=composed.groups,
                      country_page=page)

    def countries(self) -> dict[str, int]:
        """The countries the served reports name, by code, with their passage counts (most first)."""
        rows = self.index.metadata.by_country
        return dict(sorted(((c, len(r)) for c, r in rows.items()), key=lambda kv: (-kv[1], kv[0])))

    def country_page(self, name: str, index: IndexData | None = None) -> CountryPage:
        """Every passage about a country (a code such as ``BG`` or a name such as ``Bulgaria``) across
        the reports served, by year and theme (answer/country.py); UserError for a name that is not a
        country. A country the reports never name gets a page with no passages."""
        import numpy as np

        from assistant.geo import country_name, country_names, countries_in

        index = index or self.index
        code = name.strip().upper() if name.strip().upper() in country_names() else None
        found = code or next(iter(countries_in(name, ignore_case=True)), None)
        if found is None:
            known = ", ".join(country_name(c) for c in list(self.countries())[:12])
            raise UserError(f"{name!r} is not a country name or ISO code (such as BG or Bulgaria); the reports "
                            f"name, among others: {known}")
        rows = index.metadata.by_country.get(found, np.zeros(0, dtype=np.int64))
        passages = [index.passages[i] for i in rows]
        return country.build_page(found, country_name(found), passages, self._themes_of(index, rows), index.reports)

    def _themes_of(self, index: IndexData, rows) -> list[str]:
        """Each passage's theme (country.nearest_themes) from its own text, embedded once per passage
        and kept: the stored vectors carry the report's title and section ("Asylum Report 2024"), which
        drew passages about other things to "Asylum procedure". At most country.EMBED_PER_PAGE new
        passages are embedded for one page (a page is asked for in a web request); the others take
        their theme from their stored vector, so a country with thousands of passages opens in seconds."""
        if self._themes is None:
            self._themes = self.embedder.encode(country.theme_texts())
        passages = [index.passages[i] for i in rows]
        new = [i for i in dict.fromkeys(int(r) for r in rows) if index.passages[i].chunk_id not in self._theme_of]
        embedded, stored = new[:country.EMBED_PER_PAGE], new[country.EMBED_PER_PAGE:]
        if embedded:
            vectors = self.embedder.encode([index.passages[i].text for i in embedded])
            self._theme_of.update(zip((index.passages[i].chunk_id for i in embedded),
                                      country.nearest_themes(vectors, self._themes)))
        if stored:
            self._theme_of.update(zip((index.passages[i].chunk_id for i in stored),
                                      country.nearest_themes(self._vectors(index, stored), self._themes)))
            log.info("country page: %d passages took their theme from their stored vectors", len(stored))
        return [self._theme_of[p.chunk_id] for p in passages]

    def _vectors(self, index: IndexData, rows: list[int]):
        """The passages' stored vectors (every dense index kind built here gives them back)."""
        import numpy as np

        return index.dense.reconstruct_batch(np.asarray(rows, dtype=np.int64))

    def _group(self, index: IndexData, query: Query, vector, cell: groups.Cell, hits: list, mode: str | None,
               reports: list[str] | None, ranker: Path | None) -> list[tuple[int, Passage]]:
        """A group's best passages (groups.PER_GROUP) as (rank, passage), searched with the question's
        vector and its constraint narrowed to the group, those squarely about the group first
        (groups.specificity); a passage not among ``hits`` joins
        them after the others (``hits`` grows), so that its card has a rank."""
        at = {h.passage.chunk_id: i for i, h in enumerate(hits, start=1)}
        narrow = self._rank(index, groups.narrowed(query, cell), vector, groups.PER_GROUP * 4, mode, None, reports,
                            ranker, candidates=groups.CANDIDATES)
        ranked = []
        inside = [h for h in narrow.hits if groups.in_cell(h.passage, query, cell, index.metadata.periods)]
        inside.sort(key=lambda h: groups.specificity(h.passage, cell))  # stable: the ranking within a tier
        for h in inside[:groups.PER_GROUP]:
            if h.passage.chunk_id not in at:
                hits.append(h)
                at[h.passage.chunk_id] = len(hits)
            ranked.append((at[h.passage.chunk_id], h.passage))
        return ranked

