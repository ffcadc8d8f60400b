"""Timelines and comparisons: a question over several years, or several countries (a list, "vs", a
region), is answered in groups, one per asked year (a timeline) or per asked country (a comparison),
each with its best passages and a short extract, and an explicit empty cell ("Nothing on Greece for
2022 in these reports.").

Each group is searched on its own (the same question vector, the question's constraint narrowed to the
group's country or year), so a country the overall ranking left out still gets its cell. Pure functions
here; ``Assistant.ask`` runs the searches.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from assistant.answer.matching import asks, cell_label, holds
from assistant.models import Passage
from assistant.retrieval.query import Query

MAX_GROUPS = 12  # a longer list of years or countries is answered as one ranked list
PER_GROUP = 2  # passages shown per group
# candidates each group's search ranks: the group's constraint brings its country's or year's best
# matches in anyway (retrieval/metadata.expand), so a shallower search keeps a long timeline cheap
CANDIDATES = 20


@dataclass(frozen=True)
class Cell:
    """One group: an asked country (a comparison) or an asked year (a timeline)."""

    country: str | None = None
    year: int | None = None

    @property
    def label(self) -> str:
        return cell_label(self.country, self.year)


def plan(query: Query) -> tuple[str, list[Cell]] | None:
    """``("country", cells)`` for a question asking several countries as places (a list, "vs", a
    region's members), ``("year", cells)`` for one asking several years (a range, a list, "between");
    None otherwise, or beyond MAX_GROUPS."""
    countries, years = asks(query)
    if len(countries) > 1 and len(countries) <= MAX_GROUPS:
        return "country", [Cell(country=c) for c in countries]
    if len(years) > 1 and len(years) <= MAX_GROUPS:
        return "year", [Cell(year=y) for y in years]
    return None


def narrowed(query: Query, cell: Cell) -> Query:
    """The question with its constraint narrowed to the cell (its text and vector unchanged)."""
    if cell.country is not None:
        return replace(query, places=[cell.country], countries=[cell.country, *query.origins])
    return replace(query, years=[cell.year])


def specificity(passage: Passage, cell: Cell) -> int:
    """How squarely a passage in the cell is about it, lower first: 0 when it names the cell itself (the
    year in its own text, the country as its subject: in its heading or first sentence, or the only
    country it names), 1 when it reaches the cell only through its report's period or a list of several
    countries. (Also putting a passage another group shows after the new ones was measured: fewer
    groups right, 0.654 -> 0.617, since one passage often answers several years.)"""
    if cell.year is not None:
        return 0 if cell.year in passage.years else 1
    return 0 if cell.country in passage.lead_countries or passage.countries == [cell.country] else 1


def in_cell(passage: Passage, query: Query, cell: Cell, periods: Mapping[str, set[int]]) -> bool:
    """Whether the passage matches the cell and the rest of what was asked: its country and the asked
    years (a comparison), its year and the asked countries (a timeline)."""
    countries, years = asks(query)
    return holds(passage, [cell.country] if cell.country else countries, [cell.year] if cell.year else years,
                 periods)
