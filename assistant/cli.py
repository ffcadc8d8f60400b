"""The `assistant` command: a thin layer over the library API.

User errors print one line (`error: ...`) and exit 2, never a traceback.
"""

from __future__ import annotations

import functools
import json
import logging
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from assistant import __version__
from assistant.errors import UserError

log = logging.getLogger("assistant")


def _settings(**overrides: Any):
    from assistant.settings import Settings

    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise UserError(f"setting '{field}' (flag --{field.replace('_', '-')} or ASSISTANT_{field.upper()}): "
                        f"{first['msg']}") from exc


def common_options(fn: Callable) -> Callable:
    """--corpus, --index and --model on every command; ASSISTANT_* variables apply when a flag is absent."""

    @click.option("--corpus", type=click.Path(path_type=Path), help="Reports folder [env ASSISTANT_CORPUS; default corpus/].")
    @click.option("--index", "index_dir", type=click.Path(path_type=Path),
                  help="Index folder [env ASSISTANT_INDEX; default index/].")
    @click.option("--model", help="Sentence-transformers model: all-MiniLM-L6-v2 or a local model folder "
                                  "[env ASSISTANT_MODEL].")
    @functools.wraps(fn)
    def wrapper(*args: Any, corpus: Path | None, index_dir: Path | None, model: str | None, **kwargs: Any) -> Any:
        try:
            return fn(*args, base={"corpus": corpus, "index": index_dir, "model": model}, **kwargs)
        except UserError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)

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


@main.command("index")
@common_options
@click.option("--chunk-tokens", type=int, help="Largest passage in model tokens [env ASSISTANT_CHUNK_TOKENS].")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars.")
def index_cmd(base: dict, chunk_tokens: int | None, as_json: bool, quiet: bool) -> None:
    """Build the index from the reports in the corpus folder.

    \b
    Examples:
      assistant index
      assistant index --corpus my-reports --index /tmp/idx --json
    """
    from assistant.index.build import build_index

    summary = build_index(_settings(**base, chunk_tokens=chunk_tokens), progress=not (quiet or as_json))
    if as_json:
        click.echo(summary.model_dump_json())
        return
    click.echo(f"Indexed {summary.reports} reports, {summary.passages} passages "
               f"({summary.embedded} embedded) in {summary.seconds:.1f} s into {summary.index}")
    for detail in summary.details:
        inferred = ("; inferred (correct in sources.toml): " + ", ".join(
            f"{k}={v!r}" for k, v in detail.inferred_values.items())) if detail.inferred else ""
        click.echo(f"  {detail.id}: {detail.passages} passages, {detail.notes} notes ({detail.note_form or 'none'})"
                   f"{inferred}")
        for warning in detail.warnings:
            click.echo(f"    warning: {warning}")
    for skipped in summary.skipped:
        click.echo(f"  skipped {skipped.path}: {skipped.reason}")


def _fill(text: str, indent: str, width: int = 100) -> str:
    """Wrap each line of a text on its own, so table rows and list items stay on their lines."""
    return "\n".join(textwrap.fill(line, width=width, initial_indent=indent, subsequent_indent=indent)
                     for line in text.split("\n") if line.strip())


def _print_answer(answer: Any) -> None:
    from assistant.geo import country_name

    understood = []
    if answer.filters.countries:
        understood.append("countries: " + ", ".join(country_name(c) for c in answer.filters.countries))
    if answer.filters.years:
        understood.append("years: " + ", ".join(str(y) for y in answer.filters.years))
    click.echo(f"Searched: {answer.resolved_query}" + (f"  ({'; '.join(understood)})" if understood else ""))
    click.echo("")
    click.echo(textwrap.fill(answer.answer, width=100))
    if answer.abstained and answer.passages:
        click.echo("\nPossibly related:")
    for hit in answer.passages:
        src = hit.source
        year = f", {src.year}" if src.year else ""
        click.echo(f"\n[P{hit.rank}] {src.title}{year} — {src.section or ''}   (score {hit.score:.3f}, {hit.chunk_id})")
        if src.url:
            click.echo(f"     {src.url}")
        click.echo(_fill(hit.text, "     "))
        for note in hit.footnotes:
            click.echo(_fill(f"{note.number}. {note.text}", "       "))


@main.command("ask")
@common_options
@click.argument("question")
@click.option("-k", "--k", "k", type=int, help="How many passages [env ASSISTANT_K; default 5].")
@click.option("--history", multiple=True, help="An earlier question of the conversation (repeatable, oldest first).")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as one JSON object (the stable contract).")
def ask_cmd(base: dict, question: str, k: int | None, history: tuple[str, ...], as_json: bool) -> None:
    """Answer QUESTION with cited passages.

    \b
    Examples:
      assistant ask "What did Bulgaria do in 2023?"
      assistant ask "And in 2017?" --history "What did Bulgaria do in 2023?"
      assistant ask "Which source reports the Naples centre?" --k 3 --json
    """
    from assistant.api import Assistant

    settings = _settings(**base, k=k)
    answer = Assistant(settings).ask(question, list(history), k=settings.k)
    if as_json:
        click.echo(answer.model_dump_json())
    else:
        _print_answer(answer)


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
    from assistant.index import store

    data = store.read(_settings(**base).index)
    if report and report not in data.reports:
        raise UserError(f"no report '{report}' in the index; known: {', '.join(sorted(data.reports))}")
    if report and not as_json:
        _print_report(data, report)
    for passage in data.passages:
        if report and passage.source != report:
            continue
        if as_json:
            rep = data.reports[passage.source]
            record = {"chunk_id": passage.chunk_id, "source": passage.source, "section": passage.section,
                      "text": passage.text, "footnotes": [n.model_dump() for n in passage.footnotes],
                      "countries": passage.countries, "years": passage.years, "n_tokens": passage.n_tokens,
                      "heading_path": passage.heading_path, "position": passage.position,
                      "period": [rep.period_start, rep.period_end]}
            click.echo(json.dumps(record, ensure_ascii=False))
        else:
            notes = ",".join(n.number for n in passage.footnotes) or "-"
            click.echo(f"{passage.source} #{passage.position} {passage.chunk_id} [{passage.n_tokens} tok] "
                       f"{passage.section or ''} | notes {notes} | {' '.join(passage.countries)} "
                       f"{' '.join(map(str, passage.years))}")
            click.echo(textwrap.indent(textwrap.shorten(passage.text, 300) if not report else passage.text, "    "))


def _print_report(data: Any, report_id: str) -> None:
    """One report's metadata, note table, orphans and warnings, before its passages."""
    rep = data.reports[report_id]
    doc = data.documents.get(report_id, {})
    click.echo(f"{rep.title}  [{rep.id}, {rep.file}]")
    click.echo(f"  publisher: {rep.publisher or '-'}; year: {rep.year or '-'}; period: "
               f"{rep.period_start or '?'}-{rep.period_end or '?'}; url: {rep.url or '-'}")
    if rep.inferred:
        click.echo(f"  inferred (correct them in sources.toml): "
                   + ", ".join(f"{f}={getattr(rep, f)!r}" for f in rep.inferred))
    notes = doc.get("notes", [])
    click.echo(f"  notes ({doc.get('note_form') or 'none'}): {len(notes)}")
    for note in notes:
        click.echo(_fill(f"{note['number']}. {note['text']}", "    "))
    click.echo(f"  orphans (notes cited nowhere): {', '.join(doc.get('orphans', [])) or 'none'}")
    for warning in doc.get("warnings", []):
        click.echo(f"  warning: {warning}")
    for item in doc.get("furniture", []):
        click.echo(f"  dropped as furniture: {item}")
    click.echo("  passages:")


@main.command("eval")
@common_options
@click.option("--gold", type=click.Path(path_type=Path), default=Path("eval/gold.jsonl"), show_default=True,
              help="Gold questions (JSON lines).")
@click.option("--out", type=click.Path(path_type=Path), default=Path("eval/reports"), show_default=True,
              help="Folder for the JSON and Markdown reports.")
@click.option("--mode", "modes", multiple=True, type=click.Choice(["bm25", "dense", "hybrid", "hybrid+meta"]),
              help="Only these retrieval modes (repeatable; default all four).")
@click.option("--json", "as_json", is_flag=True, help="Print the whole report as JSON.")
@click.option("--calibrate", is_flag=True,
              help="Choose the fusion weights and the abstention threshold on the gold set and print them.")
def eval_cmd(base: dict, gold: Path, out: Path, modes: tuple[str, ...], as_json: bool, calibrate: bool) -> None:
    """Run the gold questions through every retrieval mode and report the metrics.

    \b
    Examples:
      assistant eval
      assistant eval --mode hybrid+meta --gold eval/gold.jsonl
      assistant eval --calibrate      fusion weights and abstention threshold from the gold set
    """
    from assistant.evaluation import calibrate as run_calibration, evaluate, markdown, write_report
    from assistant.retrieval.retriever import MODES

    if calibrate:
        click.echo(json.dumps(run_calibration(_settings(**base), gold), indent=1))
        return

    report = evaluate(_settings(**base), gold, modes or MODES)
    json_path, md_path = write_report(report, out)
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False))
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
    from assistant.index import store

    settings = _settings(**base, host=host, port=port)
    if not store.exists(settings.index):
        from assistant.index.build import build_index

        click.echo(f"No index in {settings.index}: building it from {settings.corpus} ...")
        summary = build_index(settings)
        click.echo(f"Indexed {summary.reports} reports, {summary.passages} passages in {summary.seconds:.1f} s")
    from ui.app import launch

    launch(settings)


if __name__ == "__main__":
    main()
