"""The web chat's "Evaluation" tab: the latest `assistant eval` report — the metric table per mode,
a bar chart per question kind, and the questions that failed."""

from __future__ import annotations

import json
from typing import Any

import gradio as gr
import pandas as pd

from assistant.evaluation import METRICS, failures
from assistant.settings import Settings

COLUMNS = METRICS + ["note_accuracy", "abstention_accuracy", "false_abstention"]


def load_report(settings: Settings) -> dict[str, Any] | None:
    path = settings.eval_reports / "latest.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def tables(report: dict[str, Any] | None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, str]:
    if not report:
        empty = pd.DataFrame()
        return empty, pd.DataFrame({"kind": [], "metric": [], "value": []}), empty, \
            "No evaluation report yet: run `assistant eval`."
    modes = pd.DataFrame([{"mode": m, **{c: d["overall"][c] for c in COLUMNS}} for m, d in report["modes"].items()])
    best = "hybrid+meta" if "hybrid+meta" in report["modes"] else next(iter(report["modes"]))
    # one bar per kind: MRR@10 for answerable kinds, abstention accuracy for the unanswerable one
    kinds = pd.DataFrame([{"kind": kind, "metric": "MRR@10" if s["MRR@10"] is not None else "abstention accuracy",
                           "value": s["MRR@10"] if s["MRR@10"] is not None else s["abstention_accuracy"]}
                          for kind, s in report["modes"][best]["by_kind"].items()])
    failed = pd.DataFrame([{"id": f["id"], "kind": f["kind"], "question": f["question"], "why": f["why"],
                            "searched": f["resolved_query"], "first result": (f["top"] or [""])[0]}
                           for f in failures(report, best)])
    caption = (f"Report of {report['created']} on `{report['gold']}` ({report['questions']} questions), "
               f"index of {report['index'].get('passages')} passages; by kind and failures for **{best}**.")
    return modes, kinds, failed, caption


def evaluation_tab(settings: Settings) -> tuple[Any, list[Any]]:
    """Build the tab; returns its loader and outputs, for the app to call on page load."""
    with gr.Tab("Evaluation", id="evaluation"):
        caption = gr.Markdown(elem_id="eval-caption")
        modes = gr.Dataframe(label="Metrics per retrieval mode", interactive=False, elem_id="eval-modes")
        plot = gr.BarPlot(x="kind", y="value", color="metric", label="By question kind", y_lim=[0, 1],
                          elem_id="eval-plot", height=320)
        failed = gr.Dataframe(label="Failed questions", interactive=False, wrap=True, elem_id="eval-failed")
        refresh = gr.Button("Reload the latest report", elem_id="eval-refresh")

    def load() -> tuple:
        m, k, f, c = tables(load_report(settings))
        return c, m, k, f

    outputs = [caption, modes, plot, failed]
    refresh.click(load, None, outputs, api_visibility="private")
    return load, outputs
