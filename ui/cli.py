"""The `assistant` command: a thin layer over the library API (assistant.api). Each command parses
its flags, calls one library verb and renders the model it returns (ui/text.py holds the wording the
web chat shares). Progress bars are drawn here, from the library's progress callback.

User errors print one line (`error: ...`) and exit 2 (130 when interrupted), never a traceback.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from assistant import __version__
from assistant.errors import UserError

log = logging.getLogger("assistant")


def _settings(**overrides: Any):
    from assistant.settings import STAGES, Settings

    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = [str(p) for p in first["loc"]]
        name = loc[1] if len(loc) > 1 and loc[0] in STAGES else loc[0]  # a stage's setting has a name of its own
        if name == "k":  # the library's and the web API's message, word for word
            from assistant.api import k_message

            raise UserError(k_message(first.get("input"))) from exc
        raise UserError(f"setting '{'.'.join(loc)}' (flag --{name.replace('_', '-')} or ASSISTANT_{name.upper()}): "
                        f"{first['msg']}") from exc


def common_options(fn: Callable) -> Callable:
    """--corpus, --index, --model, --store and --milvus-uri on every command; ASSISTANT_* variables apply when a flag is absent."""

    @click.option("--corpus", type=click.Path(path_type=Path), help="Reports folder [env ASSISTANT_CORPUS; default corpus/].")
    @click.option("--index", "index_dir", type=click.Path(path_type=Path),
                  help="Index folder [env ASSISTANT_INDEX; default index/].")
    @click.option("--model", help="Sentence-transformers model: all-MiniLM-L6-v2 or a local model folder "
                                  "[env ASSISTANT_MODEL].")
    @click.option("--store", type=click.Choice(["embedded", "milvus"]),
                  help="Where the index lives [env ASSISTANT_STORE; default embedded].")
    @click.option("--milvus-uri", help="Milvus Lite file or Milvus server address [env ASSISTANT_MILVUS_URI; "
                                       "default INDEX/milvus.db].")
    @functools.wraps(fn)
    def wrapper(*args: Any, corpus: Path | None, index_dir: Path | None, model: str | None, store: str | None,
                milvus_uri: str | None, **kwargs: Any) -> Any:
        try:
            return fn(*args, base={"corpus": corpus, "index": index_dir, "model": model, "store": store,
                                   "milvus_uri": milvus_uri}, **kwargs)
        except UserError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(getattr(exc, "exit_code", 2))

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="assistant")
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
def main(verbose: int) -> None:
    """Ask the asylum and integration policy reports; get cited passages with their footnotes.

    \b
    Examples:
      assistant index                              build the index from corpus/
      assistant ask "What did Bulgaria do in 2023?"
      assistant ask "And in 2017?" --history "What did Bulgaria do in 2023?" --json
      assistant serve                              web chat on http://127.0.0.1:7860
    """
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)


@main.group("index", invoke_without_command=True)
@common_options
@click.option("--chunk-tokens", type=int, help="Largest passage in model tokens [env ASSISTANT_CHUNK_TOKENS].")
@click.option("--full", is_flag=True, help="Rebuild everything from scratch (needed after a model or splitter change).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars.")
@click.pass_context
def index_cmd(ctx: click.Context, base: dict, chunk_tokens: int | None, full: bool, as_json: bool, quiet: bool) -> None:
    """Bring the index up to date with the corpus: only new or changed text is embedded.

    \b
    Examples:
      assistant index                       update the index from corpus/
      assistant index --full                rebuild from scratch
      assistant index status                what changed on disk since the last build
      assistant index add report.pdf --title "Asylum Report 2025" --year 2025
      assistant index rollback              serve the previous version again
    """
    ctx.obj = {"base": base, "chunk_tokens": chunk_tokens}
    if ctx.invoked_subcommand is not None:
        return
    _run_build(_settings(**base, chunk_tokens=chunk_tokens), full, as_json, quiet)


def _echo_json(model: Any) -> None:
    """One JSON object on a line, spaced as `json.dumps` writes it (the contract's bytes, not only its keys)."""
    click.echo(json.dumps(model.model_dump(mode="json"), ensure_ascii=False))


@contextlib.contextmanager
def _bars(show: bool) -> Iterator[Any]:
    """Progress bars on stderr drawn from the library's callback, closed on the way out (None when
    they are not wanted: quiet or JSON output)."""
    if not show:
        yield None
        return
    from ui.progress import Bars

    bars = Bars()
    try:
        yield bars
    finally:
        bars.close()


def _run_build(settings: Any, full: bool, as_json: bool, quiet: bool) -> None:
    from assistant import api

    with _bars(not (quiet or as_json)) as bars:
        summary = api.build(settings, full=full, on_progress=bars)
    _print_summary(summary, as_json)


def _print_summary(summary: Any, as_json: bool) -> None:
    from ui.text import build_details, build_line

    if as_json:
        click.echo(summary.model_dump_json())
        return
    click.echo(build_line(summary, where=True))
    for line in build_details(summary):
        click.echo(line)


def _merged(ctx: click.Context, base: dict) -> dict:
    """A subcommand's paths: its own flags, else the ones given to `assistant index`."""
    parent = (ctx.obj or {}).get("base", {})
    return {k: base.get(k) if base.get(k) is not None else parent.get(k) for k in set(base) | set(parent)}


@index_cmd.command("status")
@common_options
@click.option("--json", "as_json", is_flag=True, help="Print the status as one JSON object.")
@click.pass_context
def status_cmd(ctx: click.Context, base: dict, as_json: bool) -> None:
    """What is indexed, what changed on disk since (added, modified, removed), and whether it is current."""
    from assistant import api

    status = api.status(_settings(**_merged(ctx, base)))
    if as_json:
        _echo_json(status)
        return
    if status.version is None:
        click.echo(f"No index in {status.index}; build it with `assistant index`.")
    else:
        click.echo(f"Index {status.version} in {status.index}: {status.reports} reports, "
                   f"{status.passages} passages; model {status.model}; built {status.built_at}; "
                   f"versions kept: {', '.join(status.versions)}")
        for report in status.indexed or []:
            click.echo(f"  {report.id}: {report.file} ({_indexed_line(report)})")
    for kind in ("added", "modified", "removed"):
        for name in getattr(status, kind):
            click.echo(f"  {kind}: {name}")
    for move in status.renamed:
        click.echo(f"  renamed: {move.from_} -> {move.to}")
    for copy in status.copies:
        click.echo(f"  copy: {Path(copy.path).name}: {copy.reason}")
    for skipped in status.skipped:
        click.echo(f"  skipped {skipped.path}: {skipped.reason}")
    click.echo("The index is current." if status.current else "The index is out of date: run `assistant index`.")


def _indexed_line(report: Any) -> str:
    """A served report's size and how it read: "12 passages, 40 pages; read: good (score 0.98)"."""
    from ui.text import quality_line

    quality = report.quality
    pages = f", {quality.pages} pages" if quality is not None and quality.pages else ""
    return f"{report.passages} passages{pages}; read: {quality_line(quality)}"


@index_cmd.command("add")
@common_options
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--id", "report_id", help="Report id (default: from the file name).")
@click.option("--title", help="Report title (default: its first heading).")
@click.option("--publisher")
@click.option("--year", type=int, help="Publication year.")
@click.option("--period-start", type=int, help="First year the report covers.")
@click.option("--period-end", type=int, help="Last year the report covers.")
@click.option("--url")
@click.option("--json", "as_json", is_flag=True, help="Print the build summary as one JSON object.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars.")
@click.pass_context
def add_cmd(ctx: click.Context, base: dict, paths: tuple[Path, ...], report_id: str | None, title: str | None,
            publisher: str | None, year: int | None, period_start: int | None, period_end: int | None,
            url: str | None, as_json: bool, quiet: bool) -> None:
    """Copy reports into the corpus, describe them in sources.toml, and update the index.

    \b
    Examples:
      assistant index add ~/Downloads/report.pdf --title "Asylum Report 2025" --year 2025 --period-start 2024
      assistant index add a.md b.html
    """
    from assistant import api

    metadata = {"id": report_id, "title": title, "publisher": publisher, "year": year,
                "period_start": period_start, "period_end": period_end, "url": url}
    settings = _settings(**_merged(ctx, base), chunk_tokens=(ctx.obj or {}).get("chunk_tokens"))
    with _bars(not (quiet or as_json)) as bars:
        try:
            added = api.add(settings, list(paths), metadata, on_progress=bars)
        except api.AddedNotIndexed as exc:  # in the corpus, not indexed: say what was added before the error
            if not as_json:
                _print_added(paths, exc.reports, settings)
            raise
    if not as_json:
        _print_added(paths, added.reports, settings)
    _print_summary(added.build, as_json)


def _print_added(paths: Any, reports: list[Any], settings: Any) -> None:
    for path, report in zip(paths, reports):
        click.echo(f"Added {path} to {settings.corpus} as {report.file} (id {report.id})")


@index_cmd.command("remove")
@common_options
@click.argument("report")
@click.option("--json", "as_json", is_flag=True, help="Print the build summary as one JSON object, with `removal`.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars.")
@click.pass_context
def remove_cmd(ctx: click.Context, base: dict, report: str, as_json: bool, quiet: bool) -> None:
    """Take REPORT (an id or a file name) out: its file, its sources.toml entry and its passages.

    The file is moved to corpus/.removed/ (delete it there), and the index is rebuilt without it as
    one new version; if that fails or is interrupted, everything is put back as it was.

    \b
    Examples:
      assistant index remove euaa-ar-2022
      assistant index remove "report (1).pdf"
    """
    from assistant import api

    settings = _settings(**_merged(ctx, base), chunk_tokens=(ctx.obj or {}).get("chunk_tokens"))
    with _bars(not (quiet or as_json)) as bars:
        removed = api.remove(settings, report, on_progress=bars)
    if as_json:
        click.echo(json.dumps(removed.as_json(), ensure_ascii=False))
        return
    where = ", ".join(removed.moved_to) or "no file was left in the corpus"
    click.echo(f"Removed report {removed.report}: {', '.join(removed.files) or '(no file)'} moved to {where}")
    _print_summary(removed.build, False)


@index_cmd.command("rollback")
@common_options
@click.pass_context
def rollback_cmd(ctx: click.Context, base: dict) -> None:
    """Serve the previous index version again (a running web chat switches on its next question)."""
    from assistant import api

    done = api.rollback(_settings(**_merged(ctx, base)))
    click.echo(f"Rolled back the index from {done.before} to {done.after}.")


def _fill(text: str, indent: str, width: int = 100) -> str:
    """Wrap each line of a text on its own, so table rows and list items stay on their lines."""
    return "\n".join(textwrap.fill(line, width=width, initial_indent=indent, subsequent_indent=indent)
                     for line in text.split("\n") if line.strip())


def _print_answer(answer: Any) -> None:
    from assistant.geo import country_name
    from ui.text import apart, match_label, place

    understood = []
    if answer.filters.countries:
        understood.append("countries: " + ", ".join(country_name(c) for c in answer.filters.countries))
    if answer.filters.years:
        understood.append("years: " + ", ".join(str(y) for y in answer.filters.years))
    click.echo(f"Searched: {answer.resolved_query}" + (f"  ({'; '.join(understood)})" if understood else ""))
    click.echo("")
    click.echo(textwrap.fill(answer.answer, width=100))
    if answer.groups:
        click.echo(f"\nBy {answer.grouped_by}:")
        for group in answer.groups:
            cites = " ".join(f"[P{r}]" for r in group.ranks) or "-"
            what = "nothing in these reports" if group.empty else (group.extract.text if group.extract else "")
            click.echo(f"  {group.label:<16} {cites:<12} {textwrap.shorten(what, width=70, placeholder=' ...')}")
    if answer.country_page is not None and answer.country_page.passages:
        click.echo(f"\nEvery passage on {answer.country_page.name}, by year and theme: "
                   f"assistant country {answer.country_page.country}")
    matching, others = apart(answer)
    if answer.abstained and answer.passages:
        click.echo("\nPossibly related:")
    for n, hit in enumerate(matching + others):
        if n == len(matching) and matching and others:
            click.echo("\nNot matching what was asked:")
        src = hit.source
        year = f", {src.year}" if src.year else ""
        label = match_label(hit, answer)
        click.echo(f"\n[P{hit.rank}] {src.title}{year} — {place(src)}   (score {hit.score:.3f}, {hit.chunk_id})"
                   + (f"\n     [{label}]" if label else ""))
        if src.url:
            click.echo(f"     {src.url}")
        click.echo(_fill(hit.text, "     "))
        for note in hit.footnotes:
            click.echo(_fill(f"{note.number}. {note.text}", "       "))


@main.command("ask")
@common_options
@click.argument("question")
@click.option("-k", "--k", "k", metavar="INTEGER", help="How many passages, 1 to 100 [env ASSISTANT_K; default 5].")
@click.option("--history", multiple=True, help="An earlier question of the conversation (repeatable, oldest first).")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as one JSON object (the stable contract).")
@click.option("--export", "export_as", type=click.Choice(["bibtex", "ris", "csv"]),
              help="Print the cited reports as BibTeX or RIS, or the passages as CSV, instead of the answer.")
def ask_cmd(base: dict, question: str, k: str | None, history: tuple[str, ...], as_json: bool,
            export_as: str | None) -> None:
    """Answer QUESTION with cited passages.

    \b
    Examples:
      assistant ask "What did Bulgaria do in 2023?"
      assistant ask "And in 2017?" --history "What did Bulgaria do in 2023?"
      assistant ask "Which source reports the Naples centre?" --k 3 --json
      assistant ask "What did Bulgaria do in 2023?" --export bibtex > cited.bib
    """
    from assistant.api import Assistant
    from assistant.api import check_k

    settings = _settings(**base, k=None if k is None else check_k(k))  # the library's message for a bad k
    session = Assistant(settings)
    answer = session.ask(question, list(history), k=settings.retrieval.k)
    if session.notice:  # serving an older version than CURRENT names: say so, beside any --json output
        click.echo(f"warning: {session.notice}", err=True)
    if export_as:
        from assistant.answer.exports import export

        click.echo(export(answer, {r.report.id: r.report for r in session.reports()}, export_as), nl=False)
    elif as_json:
        click.echo(answer.model_dump_json())
    else:
        _print_answer(answer)


@main.command("country")
@common_options
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the page as one JSON object (CountryPage).")
@click.option("--export", "export_as", type=click.Choice(["markdown", "csv"]),
              help="Print the page as Markdown, or its passages as CSV (one row each).")
def country_cmd(base: dict, name: str | None, as_json: bool, export_as: str | None) -> None:
    """Every passage about the country NAME (a name or an ISO code) across the reports, by year and
    theme, with counts and notes. Without NAME: the countries the reports name, with passage counts.

    \b
    Examples:
      assistant country Bulgaria
      assistant country BG --export markdown > bulgaria.md
      assistant country BG --export csv > bulgaria.csv
    """
    from assistant.answer import country
    from assistant.api import Assistant
    from assistant.geo import country_name

    session = Assistant(_settings(**base))
    if not name:
        counts = session.countries()
        if as_json:
            click.echo(json.dumps(counts))
        for code, n in ([] if as_json else counts.items()):
            click.echo(f"{code}  {country_name(code):<28} {n:>6} passage{'s' if n != 1 else ''}")
        return
    page = session.country_page(name)
    if export_as == "markdown":
        click.echo(country.markdown(page), nl=False)
    elif export_as == "csv":
        click.echo(country.csv_text(page), nl=False)
    elif as_json:
        click.echo(page.model_dump_json())
    else:
        _print_country(page)


def _print_country(page: Any) -> None:
    from assistant.answer.country import summary
    from ui.text import place

    click.echo(_fill(summary(page), ""))
    for year in page.years:
        click.echo(f"\n== {year.year or 'Undated'} ({len(year.passages)}) ==")
        theme = None
        for row in year.passages:
            if row.theme != theme:
                theme = row.theme
                click.echo(f"\n  -- {theme} --")
            src = row.source
            click.echo(f"\n  {src.title}{f', {src.year}' if src.year else ''} — {place(src)}"
                       + ("" if row.subject else f"   [names {page.name} among others]"))
            click.echo(_fill(row.text, "     "))
            for note in row.footnotes:
                click.echo(_fill(f"{note.number}. {note.text}", "       "))


@main.command("inspect")
@common_options
@click.option("--json", "as_json", is_flag=True, help="One JSON line per passage.")
@click.option("--report", help="Only the passages of this report id.")
def inspect_cmd(base: dict, as_json: bool, report: str | None) -> None:
    """Show what the index holds: every passage with its section, notes, countries, years and tokens.

    \b
    Examples:
      assistant inspect --json > passages.jsonl
      assistant inspect --report euaa-ar-2024
    """
    from assistant import api
    from ui.text import place

    inspection = api.inspect(_settings(**base), report)
    if report and not as_json:
        _print_report(inspection)
    for passage in inspection.passages:
        if as_json:
            _echo_json(passage)
        else:
            notes = ",".join(n.number for n in passage.footnotes) or "-"
            where = place(passage)
            click.echo(f"{passage.source} #{passage.position} {passage.chunk_id} [{passage.n_tokens} tok] "
                       f"{where} | notes {notes} | {' '.join(passage.countries)} "
                       f"{' '.join(map(str, passage.years))}")
            click.echo(textwrap.indent(textwrap.shorten(passage.text, 300) if not report else passage.text, "    "))


def _print_report(inspection: Any) -> None:
    """One report's metadata, note table, orphans and warnings, before its passages."""
    from assistant.models import DocumentInfo

    rep = inspection.report
    doc = inspection.document or DocumentInfo()
    click.echo(f"{rep.title}  [{rep.id}, {rep.file}]")
    click.echo(f"  publisher: {rep.publisher or '-'}; year: {rep.year or '-'}; period: "
               f"{rep.period_start or '?'}-{rep.period_end or '?'}; url: {rep.url or '-'}")
    if rep.inferred:
        click.echo("  inferred (correct them in sources.toml): "
                   + ", ".join(f"{f}={getattr(rep, f)!r}" for f in rep.inferred))
    click.echo(f"  notes ({doc.note_form or 'none'}): {len(doc.notes)}")
    for note in doc.notes:
        click.echo(_fill(f"{note.number}. {note.text}", "    "))
    click.echo(f"  orphans (notes cited nowhere): {', '.join(doc.orphans) or 'none'}")
    for warning in doc.warnings:
        click.echo(f"  warning: {warning}")
    for item in doc.furniture:
        click.echo(f"  dropped as furniture: {item}")
    _print_quality(doc.quality)
    click.echo("  passages:")


def _print_quality(quality: Any) -> None:
    """The reading-quality block of `inspect --report`: verdict and score, the counts, the pages by problem."""
    from ui.text import quality_line

    click.echo(f"  reading quality: {quality_line(quality)}")
    if quality is None:
        return
    click.echo(f"    markers attached to a note: {quality.markers}; markers without a note: "
               f"{quality.markers_without_notes}; notes cited nowhere: {quality.notes_without_markers}")
    if quality.pages:
        click.echo(f"    pages: {quality.pages}")
    for label, pages in (("read by OCR", quality.ocr_pages), ("with no text read", quality.blank_pages),
                         ("with text outside the body and notes", quality.stray_pages)):
        if pages:
            click.echo(f"    pages {label}: {', '.join(map(str, pages))}")


@main.command("eval")
@common_options
@click.option("--gold", type=click.Path(path_type=Path), default=Path("eval/gold.jsonl"), show_default=True,
              help="Gold questions (JSON lines).")
@click.option("--out", type=click.Path(path_type=Path), default=Path("eval/reports"), show_default=True,
              help="Folder for the JSON and Markdown reports.")
@click.option("--mode", "modes", multiple=True, type=click.Choice(["bm25", "dense", "hybrid", "hybrid+meta", "learned"]),
              help="Only these retrieval modes (repeatable; default all five).")
@click.option("--json", "as_json", is_flag=True, help="Print the whole report as JSON.")
@click.option("--calibrate", is_flag=True,
              help="Choose the fusion weights and the abstention threshold on the gold set and print them.")
@click.option("--cross-validate", "folds", type=click.IntRange(0, 50), default=5, show_default=True,
              help="Also rank with the learned model out of sample: k folds grouped by report (0: skip).")
@click.option("--baseline/--no-baseline", default=True, show_default=True,
              help="Also run a tutorial's RAG (1,000-character chunks, the same model, FAISS) on the same questions.")
@click.option("--train-ranker", "train", type=click.Path(path_type=Path),
              help="Train the learned ranker on the gold set, save it to this file and print its figures "
                   "(use it with ASSISTANT_RANKER or retrieval.ranker).")
def eval_cmd(base: dict, gold: Path, out: Path, modes: tuple[str, ...], as_json: bool, calibrate: bool,
             folds: int, baseline: bool, train: Path | None) -> None:
    """Run the gold questions through every retrieval mode and report the metrics.

    \b
    Examples:
      assistant eval
      assistant eval --mode hybrid+meta --gold eval/gold.jsonl
      assistant eval --calibrate      fusion weights and abstention threshold from the gold set
      assistant eval --train-ranker my-ranker.json
    """
    from assistant import api
    from assistant.api import markdown

    if calibrate:
        click.echo(json.dumps(api.calibrate(_settings(**base), gold), indent=1))
        return
    if train is not None:
        click.echo(json.dumps(api.train_ranker(_settings(**base), [gold], train, max(2, folds)), indent=1))
        return

    from assistant.api import groups_markdown, is_groups_gold

    if is_groups_gold(gold):  # timeline and comparison questions: are their groups complete and right?
        grouped = api.evaluate_groups(_settings(**base), gold)
        out.mkdir(parents=True, exist_ok=True)
        (out / "groups-latest.json").write_text(grouped.model_dump_json(indent=1), encoding="utf-8")
        (out / "groups-latest.md").write_text(groups_markdown(grouped), encoding="utf-8")
        click.echo(grouped.model_dump_json(indent=1) if as_json else groups_markdown(grouped))
        return
    report = api.evaluate(_settings(**base), gold, modes or None, cross_validate=folds, baseline=baseline)
    json_path, md_path = api.write_report(report, out)
    if as_json:
        click.echo(report.as_json())
    else:
        click.echo(markdown(report))
        click.echo(f"Written: {json_path} and {md_path}")


@main.command("serve")
@common_options
@click.option("--host", help="Address to listen on [env ASSISTANT_HOST; default 127.0.0.1].")
@click.option("--port", type=int, help="Port [env ASSISTANT_PORT; default 7860].")
def serve_cmd(base: dict, host: str | None, port: int | None) -> None:
    """Start the web chat; builds the index first when there is none.

    \b
    Examples:
      assistant serve
      assistant serve --port 8080 --index /tmp/idx
    """
    from assistant import api

    settings = _settings(**base, host=host, port=port)
    api.remove_staging(settings)
    if not api.index_exists(settings):
        click.echo(f"No index in {settings.index}: building it from {settings.corpus} ...")
        with _bars(True) as bars:
            summary = api.build(settings, on_progress=bars)
        click.echo(f"Indexed {summary.reports} reports, {summary.passages} passages in {summary.seconds:.1f} s")
    from ui.server import serve

    serve(settings, api.Assistant(settings))  # listening at once; the web chat follows once Gradio is imported


if __name__ == "__main__":
    main()
