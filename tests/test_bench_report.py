"""The benchmark's latest run (eval/reports/bench-latest.json, written by `make bench`): its shape, not
its times. It is a run of the default backend with every timing repeated, and the README's
Performance section shows that run's table."""

from __future__ import annotations

import json

from assistant.settings import Settings
from tests.conftest import ROOT

LATEST = ROOT / "eval" / "reports" / "bench-latest.json"


def _spread(figure: dict, repeat: int) -> None:
    assert set(figure) == {"median", "min", "max", "runs"} and figure["runs"] == repeat
    assert figure["min"] <= figure["median"] <= figure["max"]


def test_the_latest_benchmark_is_a_repeated_run_of_the_default_backend():
    from eval.bench import STAGES

    results = json.loads(LATEST.read_text(encoding="utf-8"))
    repeat = results["repeat"]
    assert repeat >= 3 and results["backend"] == Settings().embedding.backend
    assert results["machine"] and results["model"] == Settings().embedding.model
    build = results["build"]
    for name in ("parse_split_per_s", "encode_per_s", "build_per_s", "build_vs_encode", "no_change_s"):
        _spread(build[name], repeat)
    sizes = sorted(int(n) for n in results["latency"])
    assert len(sizes) >= 3 and sizes[-1] >= 1_000_000 and 100_000 in sizes
    for n in sizes:
        row = results["latency"][str(n)]
        assert row["vectors"] in ("model", "stand-in") and row["dense_index"]
        for stage in STAGES:
            _spread(row[stage]["p50"], repeat)
            _spread(row[stage]["p95"], repeat)
    langchain = results["langchain"]
    assert langchain["passages"] == 100_000 or str(langchain["passages"]) in results["latency"]
    _spread(langchain["p50"], repeat), _spread(langchain["p95"], repeat)
    for name in ("first_answer_s", "chat_page_s", "chat_answer_s"):
        _spread(results["start_up"][name], repeat)
    quality = results["quality_vs_langchain"]
    assert {"ours", "langchain"} <= set(quality) and all("Success@1" in q for q in quality.values())
    assert [r["backend"] for r in results["backends"]] == ["torch", "onnx", "onnx-int8"]
    assert all(r["low"] <= r["rate"] <= r["high"] and "Hit@1" in r["overall"] for r in results["backends"])
    assert results["memory"] and results["disk_mb"] > 0


def test_the_readme_shows_the_latest_run():
    from eval.bench import markdown

    table = markdown(json.loads(LATEST.read_text(encoding="utf-8")))
    assert "**onnx** backend" in table
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [line for line in table.splitlines() if line.strip() and line not in readme]
    assert not missing, f"README's Performance section is not the latest run's: {missing[:3]}"
