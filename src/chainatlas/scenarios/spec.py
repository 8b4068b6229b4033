"""Scenario files: parsing and validation (METHODS §14).

A scenario is a TOML file (or the equivalent dict) with a ``[table]`` naming the base table by
source and year(s), a list of ``[[shocks]]`` and optional ``[outputs]``. Validation happens in
two passes and collects every problem before failing:

1. :func:`parse_scenario` checks structure, types, kinds, ranges and option consistency (no
   table needed);
2. :func:`resolve_shocks` checks countries, groups, sectors and final-demand categories
   against the loaded table and turns each shock into row/column positions.

Every problem names the file and the TOML key path (``shocks[2].countries``). Indices in key
paths count from 1, as a reader counts ``[[shocks]]`` blocks.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from chainatlas.core.model import MRIOModel
from chainatlas.errors import ChainAtlasError, ValidationError
from chainatlas.scenarios.hs_tariffs import TradeSpec

SHOCK_KINDS = (
    "demand",
    "supply",
    "extraction",
    "supply_cut",
    "relocation",
    "tariff",
    "supply_constrained",
    "dynamic",
)
OUTPUT_TABLES = (
    "country",
    "country_sector",
    "groups",
    "prices_country_sector",
    "prices_country",
    "binding_inputs",
    "dynamic_country_sector",
    "dynamic_country",
    "tariff_coverage",
    "notes",
)
MISSING_TRADE = ("error", "skip")
RATIONING = ("proportional", "final_last", "final_first")
DYNAMIC_EVENTS = ("rebuild", "recovery")
EXTRACTION_MODES = ("total", "backward", "forward")
FLOW_KINDS = ("intermediate", "final", "both")
PROPAGATIONS = ("leontief", "ghosh")
ALL = "ALL"  # keyword for "every country" / "every sector"
FOREIGN = "FOREIGN"  # keyword: every country except the shocked (supplying/origin) country


class ScenarioError(ValidationError):
    """A scenario file with one or more problems; ``problems`` lists them all."""

    def __init__(self, problems: Sequence[str], *, path: str | None = None):
        self.problems = list(problems)
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in scenario"
        super().__init__(head + ":\n  - " + "\n  - ".join(self.problems), path=path)


# ---------------------------------------------------------------------- parsed (unresolved) spec
@dataclass(frozen=True)
class ReferenceFigure:
    """A published figure to compare a shock's result with (never used to tune anything)."""

    label: str
    measure: str  # gross_output | gdp | exports | vax
    value: float  # same units as the table (USD million for WIOD)
    countries: tuple[str, ...] = (ALL,)
    exclude: tuple[str, ...] = ()
    source: str = ""
    note: str = ""


@dataclass(frozen=True)
class ShockSpec:
    """One ``[[shocks]]`` entry as written (labels, not positions)."""

    index: int  # 1-based position in the file
    kind: str
    id: str
    description: str
    options: Mapping[str, Any]
    references: tuple[ReferenceFigure, ...] = ()

    @property
    def key(self) -> str:
        return f"shocks[{self.index}]"


@dataclass(frozen=True)
class ScenarioSpec:
    name: str
    description: str
    source: str
    years: tuple[int, ...]
    shocks: tuple[ShockSpec, ...]
    tables: tuple[str, ...] = OUTPUT_TABLES
    top: int = 10
    groups: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    origin: str | None = None  # the file it came from, for messages
    trade: TradeSpec | None = None  # [trade]: the store HS-code tariff lists are weighted by


# ---------------------------------------------------------------------- reading
def read_scenario_file(path: str | Path) -> dict[str, Any]:
    """Read a TOML scenario file; syntax errors name the file and line."""
    file = Path(path)
    if not file.is_file():
        raise ValidationError("scenario file not found", path=str(file))
    try:
        with file.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError(f"not valid TOML: {exc}", path=str(file)) from None
    except UnicodeDecodeError as exc:
        raise ValidationError(f"not UTF-8 text: {exc}", path=str(file)) from None


def load_scenario(path_or_dict: str | Path | Mapping[str, Any]) -> ScenarioSpec:
    """Read (if a path) and parse a scenario; raises :class:`ScenarioError` listing problems."""
    if isinstance(path_or_dict, Mapping):
        return parse_scenario(path_or_dict, origin=None)
    raw = read_scenario_file(path_or_dict)
    return parse_scenario(raw, origin=str(path_or_dict))


class _Problems:
    def __init__(self, origin: str | None = None) -> None:
        self.items: list[str] = []
        self.origin = origin  # the scenario file: relative paths in it are relative to it

    def add(self, key: str, message: str) -> None:
        item = f"{key}: {message}"
        if item not in self.items:  # a label resolved twice (e.g. demand countries) once
            self.items.append(item)


def _labels(value: Any, key: str, problems: _Problems, *, allow_empty: bool = True) -> tuple:
    """A string or list of strings -> tuple of strings (None if invalid)."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        if not value and not allow_empty:
            problems.add(key, "must not be empty")
        return tuple(value)
    problems.add(key, f"expected a string or a list of strings, got {value!r}")
    return ()


# No change, amount or rate in a scenario comes near this (amounts are USD million); past it
# the shocked totals overflow to inf and every result would be NaN.
MAX_MAGNITUDE = 1e15


def _number(value: Any, key: str, problems: _Problems) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        problems.add(key, f"expected a number, got {value!r}")
        return None
    try:
        number = float(value)
    except OverflowError:  # a TOML integer of hundreds of digits
        number = float("inf")
    if not np.isfinite(number):
        problems.add(key, f"must be finite, got {str(value)[:40]}")
        return None
    if abs(number) > MAX_MAGNITUDE:
        problems.add(key, f"{number:.6g} is beyond ±{MAX_MAGNITUDE:.0e}; results would overflow")
        return None
    return number


def _share(value: Any, key: str, problems: _Problems) -> float | None:
    number = _number(value, key, problems)
    if number is not None and not 0.0 <= number <= 1.0:
        problems.add(key, f"is a share and must lie in [0, 1], got {number:g}")
        return None
    return number


def _choice(value: Any, key: str, choices: Sequence[str], problems: _Problems) -> str | None:
    if not isinstance(value, str) or value.lower() not in choices:
        problems.add(key, f"must be one of {', '.join(choices)}, got {value!r}")
        return None
    return value.lower()


# Keys every shock kind accepts, and the kind-specific ones.
_COMMON_KEYS = {"kind", "id", "description", "references"}
_KIND_KEYS: dict[str, set[str]] = {
    "demand": {"countries", "sectors", "destinations", "categories", "change", "amount"},
    "supply": {"countries", "sectors", "change", "amount"},
    "extraction": {"countries", "sectors", "mode"},
    "supply_cut": {
        "suppliers",
        "supplier_sectors",
        "users",
        "user_sectors",
        "change",
        "flows",
        "propagation",
    },
    "relocation": {
        "country",
        "sectors",
        "share",
        "buyers",
        "destinations",
        "weights",
        "on_missing",
        "flows",
    },
    "tariff": {"rates"},
    "supply_constrained": {
        "suppliers",
        "supplier_sectors",
        "users",
        "user_sectors",
        "change",
        "flows",
        "substitution",
        "rationing",
        "min_input_share",
        "tolerance",
        "max_iterations",
    },
    "dynamic": {
        "countries",
        "sectors",
        "capacity_loss",
        "weeks",
        "event",
        "recovery_weeks",
        "rebuild_weeks",
        "rebuilding_sectors",
        "inventory_weeks",
        "overproduction_max",
        "overproduction_weeks",
        "capital_to_va",
    },
}
_RATE_KEYS = {"exporters", "importers", "sectors", "user_sectors", "rate", "coverage", "label",
              "hs_codes", "hs_codes_file", "missing_trade"}  # fmt: skip
_TRADE_KEYS = {"store", "year", "vintage", "concordances", "wiod_dir"}
_REFERENCE_KEYS = {"label", "measure", "value", "countries", "exclude", "source", "note"}
_MEASURES = ("gross_output", "gdp", "exports", "vax")


def parse_scenario(raw: Mapping[str, Any], origin: str | None = None) -> ScenarioSpec:
    """Check the structure of a scenario and return it parsed; all problems at once."""
    spec, problems = parse_scenario_partial(raw, origin)
    if problems:
        raise ScenarioError(problems, path=origin)
    return spec


def parse_scenario_partial(
    raw: Mapping[str, Any], origin: str | None = None
) -> tuple[ScenarioSpec, list[str]]:
    """Parse what can be parsed: the spec holds only the valid shocks; problems list the rest.

    Lets ``check`` go on to test the valid shocks' labels against the table, so one run
    reports every problem of a file.
    """
    problems = _Problems(origin)
    known_top = {"scenario", "table", "shocks", "outputs", "trade"}
    for key in raw:
        if key not in known_top:
            problems.add(key, f"unknown section; expected one of {', '.join(sorted(known_top))}")

    meta = raw.get("scenario", {})
    if not isinstance(meta, Mapping):
        problems.add("scenario", "must be a table ([scenario])")
        meta = {}
    for key in meta:
        if key not in {"name", "description", "notes"}:
            problems.add(f"scenario.{key}", "unknown key; expected name, description, notes")
    name = meta.get("name", Path(origin).stem if origin else "scenario")
    if not isinstance(name, str) or not name:
        problems.add("scenario.name", "must be a non-empty string")
        name = "scenario"
    description = meta.get("description", "")
    if not isinstance(description, str):
        problems.add("scenario.description", "must be a string")
        description = ""
    notes = _labels(meta.get("notes", []), "scenario.notes", problems)

    # --- table
    table = raw.get("table")
    source, years = "", ()
    if not isinstance(table, Mapping):
        problems.add("table", "missing [table] with source and year (e.g. wiod2013, 2011)")
    else:
        for key in table:
            if key not in {"source", "year", "years"}:
                problems.add(f"table.{key}", "unknown key; expected source, year or years")
        source = table.get("source", "")
        if not isinstance(source, str) or not source:
            problems.add("table.source", 'missing table source (e.g. source = "wiod2013")')
            source = ""
        if ("year" in table) == ("years" in table):
            problems.add("table", "give exactly one of year = 2011 or years = [2010, 2011]")
        elif "year" in table:
            if isinstance(table["year"], bool) or not isinstance(table["year"], int):
                problems.add("table.year", f"expected an integer year, got {table['year']!r}")
            else:
                years = (table["year"],)
        else:
            value = table["years"]
            if (
                not isinstance(value, list)
                or not value
                or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
            ):
                problems.add("table.years", f"expected a non-empty list of years, got {value!r}")
            else:
                years = tuple(sorted(set(value)))

    # --- outputs
    outputs = raw.get("outputs", {})
    tables, top, groups = OUTPUT_TABLES, 10, ()
    if not isinstance(outputs, Mapping):
        problems.add("outputs", "must be a table ([outputs])")
    else:
        for key in outputs:
            if key not in {"tables", "top", "groups"}:
                problems.add(f"outputs.{key}", "unknown key; expected tables, top, groups")
        if "tables" in outputs:
            wanted = _labels(outputs["tables"], "outputs.tables", problems, allow_empty=False)
            for i, table_name in enumerate(wanted, 1):
                if table_name not in OUTPUT_TABLES:
                    problems.add(
                        f"outputs.tables[{i}]",
                        f"unknown output table {table_name!r}; choose from "
                        f"{', '.join(OUTPUT_TABLES)}",
                    )
            tables = tuple(t for t in wanted if t in OUTPUT_TABLES)
        if "top" in outputs:
            value = outputs["top"]
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                problems.add("outputs.top", f"expected a positive integer, got {value!r}")
            else:
                top = value
        if "groups" in outputs:
            groups = _labels(outputs["groups"], "outputs.groups", problems)
            if groups and "tables" in outputs and "groups" not in tables:
                problems.add(
                    "outputs.groups",
                    'groups are listed but outputs.tables leaves out the "groups" table',
                )

    trade = _parse_trade(raw.get("trade"), problems) if "trade" in raw else None

    # --- shocks
    shocks_raw = raw.get("shocks")
    shocks: list[ShockSpec] = []
    if not isinstance(shocks_raw, list) or not shocks_raw:
        problems.add("shocks", "no shocks: add at least one [[shocks]] block")
        shocks_raw = []
    seen_ids: dict[str, int] = {}
    for index, entry in enumerate(shocks_raw, 1):
        key = f"shocks[{index}]"
        if not isinstance(entry, Mapping):
            problems.add(key, "must be a table ([[shocks]])")
            continue
        shock = _parse_shock(entry, index, problems)
        if shock is None:
            continue
        if shock.id in seen_ids:
            problems.add(
                f"{key}.id", f"duplicate id {shock.id!r} (also shocks[{seen_ids[shock.id]}])"
            )
        seen_ids[shock.id] = index
        shocks.append(shock)

    spec = ScenarioSpec(
        name=name,
        description=description,
        source=source,
        years=years,
        shocks=tuple(shocks),
        tables=tables,
        top=top,
        groups=groups,
        notes=notes,
        origin=origin,
        trade=trade,
    )
    return spec, problems.items


def _relative_path(value: str, problems: _Problems) -> str:
    """A path from the file: relative to the scenario file's directory (as written if none)."""
    path = Path(value).expanduser()
    if not path.is_absolute() and problems.origin:
        path = Path(problems.origin).parent / path
    return str(path)


def _parse_trade(value: Any, problems: _Problems) -> TradeSpec | None:
    if not isinstance(value, Mapping):
        problems.add("trade", 'must be a table ([trade] with store = "trade.duckdb")')
        return None
    for key in value:
        if key not in _TRADE_KEYS:
            problems.add(f"trade.{key}", f"unknown key; expected {', '.join(sorted(_TRADE_KEYS))}")
    texts: dict[str, str | None] = {}
    for key in ("store", "vintage", "concordances", "wiod_dir"):
        item = value.get(key)
        if item is not None and (not isinstance(item, str) or not item):
            problems.add(f"trade.{key}", f"expected a non-empty string, got {item!r}")
            item = None
        if item is not None and key != "vintage":
            item = _relative_path(item, problems)
        texts[key] = item
    year = value.get("year")
    if year is not None and (isinstance(year, bool) or not isinstance(year, int)):
        problems.add("trade.year", f"expected an integer year, got {year!r}")
        year = None
    return TradeSpec(year=year, **texts)


def _hs_codes(rate: Mapping[str, Any], rkey: str, problems: _Problems) -> tuple[str, ...] | None:
    """The rate's HS codes (hs_codes and/or hs_codes_file), normalised; None if neither."""
    from chainatlas.scenarios.hs_tariffs import read_hs_file
    from chainatlas.trade.bridge import normalise_hs_codes

    if "hs_codes" not in rate and "hs_codes_file" not in rate:
        return None
    codes: list[str] = []
    if "hs_codes" in rate:
        raw = rate["hs_codes"]
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, list) or not raw:
            problems.add(f"{rkey}.hs_codes", "expected a non-empty list of HS codes as strings")
            raw = []
        for i, code in enumerate(raw, 1):
            if not isinstance(code, str):
                problems.add(
                    f"{rkey}.hs_codes[{i}]",
                    f'write HS codes as strings ("0904", not {code!r}): leading zeros matter',
                )
                continue
            try:
                codes += normalise_hs_codes([code])
            except ChainAtlasError as exc:
                problems.add(f"{rkey}.hs_codes[{i}]", str(exc))
    if "hs_codes_file" in rate:
        name = rate["hs_codes_file"]
        if not isinstance(name, str) or not name:
            problems.add(f"{rkey}.hs_codes_file", "expected the path of an HS code list file")
        else:
            try:
                codes += normalise_hs_codes(read_hs_file(Path(_relative_path(name, problems))))
            except ChainAtlasError as exc:
                problems.add(f"{rkey}.hs_codes_file", str(exc))
    for other in ("coverage", "sectors"):
        if other in rate:
            problems.add(
                f"{rkey}.{other}",
                f"give either hs_codes (coverage computed from trade data) or {other}, not both",
            )
    return tuple(sorted(set(codes)))


def _parse_shock(entry: Mapping[str, Any], index: int, problems: _Problems) -> ShockSpec | None:
    key = f"shocks[{index}]"
    kind = entry.get("kind")
    if kind is None:
        problems.add(f"{key}.kind", f"missing; choose one of {', '.join(SHOCK_KINDS)}")
        return None
    kind = _choice(kind, f"{key}.kind", SHOCK_KINDS, problems)
    if kind is None:
        return None
    allowed = _COMMON_KEYS | _KIND_KEYS[kind]
    for name in entry:
        if name not in allowed:
            problems.add(
                f"{key}.{name}",
                f"unknown key for a {kind} shock; allowed: {', '.join(sorted(allowed))}",
            )
    shock_id = entry.get("id", f"shock{index}")
    if not isinstance(shock_id, str) or not shock_id:
        problems.add(f"{key}.id", "must be a non-empty string")
        shock_id = f"shock{index}"
    description = entry.get("description", "")
    if not isinstance(description, str):
        problems.add(f"{key}.description", "must be a string")
        description = ""
    options: dict[str, Any] = {}
    n_before = len(problems.items)
    _KIND_PARSERS[kind](entry, key, options, problems)
    references = _parse_references(entry.get("references", []), key, problems)
    if len(problems.items) > n_before:
        return None
    return ShockSpec(index, kind, shock_id, description, options, references)


def _parse_references(value: Any, key: str, problems: _Problems) -> tuple[ReferenceFigure, ...]:
    if not isinstance(value, list):
        problems.add(f"{key}.references", "must be a list of tables ([[shocks.references]])")
        return ()
    out = []
    for i, ref in enumerate(value, 1):
        rkey = f"{key}.references[{i}]"
        if not isinstance(ref, Mapping):
            problems.add(rkey, "must be a table")
            continue
        for name in ref:
            if name not in _REFERENCE_KEYS:
                problems.add(
                    f"{rkey}.{name}", f"unknown key; allowed: {', '.join(sorted(_REFERENCE_KEYS))}"
                )
        measure = _choice(ref.get("measure", "exports"), f"{rkey}.measure", _MEASURES, problems)
        number = _number(ref.get("value"), f"{rkey}.value", problems) if "value" in ref else None
        if "value" not in ref:
            problems.add(f"{rkey}.value", "missing the published value (table units)")
        countries = _labels(ref.get("countries", ALL), f"{rkey}.countries", problems)
        exclude = _labels(ref.get("exclude", []), f"{rkey}.exclude", problems)
        texts = {}
        for name in ("label", "source", "note"):
            text = ref.get(name, "")
            if not isinstance(text, str):
                problems.add(f"{rkey}.{name}", "must be a string")
                text = ""
            texts[name] = text
        if measure is not None and number is not None:
            out.append(
                ReferenceFigure(
                    label=texts["label"] or f"reference {i}",
                    measure=measure,
                    value=number,
                    countries=countries,
                    exclude=exclude,
                    source=texts["source"],
                    note=texts["note"],
                )
            )
    return tuple(out)


def _change_or_amount(entry, key, options, problems) -> None:
    has_change, has_amount = "change" in entry, "amount" in entry
    if has_change == has_amount:
        problems.add(
            key, "give exactly one of change (relative, e.g. -0.1) or amount (USD million)"
        )
        return
    if has_change:
        value = _number(entry["change"], f"{key}.change", problems)
        if value is not None and value < -1:
            problems.add(
                f"{key}.change", f"a relative change cannot be below -1 (-100%), got {value:g}"
            )
        options["change"] = value
    else:
        options["amount"] = _number(entry["amount"], f"{key}.amount", problems)


def _parse_demand(entry, key, options, problems) -> None:
    options["countries"] = _labels(
        entry.get("countries", ALL), f"{key}.countries", problems, allow_empty=False
    )
    options["sectors"] = _labels(
        entry.get("sectors", ALL), f"{key}.sectors", problems, allow_empty=False
    )
    options["destinations"] = _labels(
        entry.get("destinations", ALL), f"{key}.destinations", problems, allow_empty=False
    )
    options["categories"] = _labels(
        entry.get("categories", ALL), f"{key}.categories", problems, allow_empty=False
    )
    _change_or_amount(entry, key, options, problems)


def _parse_supply(entry, key, options, problems) -> None:
    options["countries"] = _labels(
        entry.get("countries", ALL), f"{key}.countries", problems, allow_empty=False
    )
    options["sectors"] = _labels(
        entry.get("sectors", ALL), f"{key}.sectors", problems, allow_empty=False
    )
    _change_or_amount(entry, key, options, problems)


def _parse_extraction(entry, key, options, problems) -> None:
    if "countries" not in entry:
        problems.add(f"{key}.countries", "missing: which countries' sectors to extract")
    options["countries"] = _labels(entry.get("countries", []), f"{key}.countries", problems)
    options["sectors"] = _labels(entry.get("sectors", ALL), f"{key}.sectors", problems)
    options["mode"] = _choice(entry.get("mode", "total"), f"{key}.mode", EXTRACTION_MODES, problems)


def _parse_supply_cut(entry, key, options, problems) -> None:
    if "suppliers" not in entry:
        problems.add(f"{key}.suppliers", "missing: the supplying countries")
    options["suppliers"] = _labels(
        entry.get("suppliers", []), f"{key}.suppliers", problems, allow_empty=False
    )
    options["supplier_sectors"] = _labels(
        entry.get("supplier_sectors", ALL), f"{key}.supplier_sectors", problems, allow_empty=False
    )
    options["users"] = _labels(
        entry.get("users", FOREIGN), f"{key}.users", problems, allow_empty=False
    )
    options["user_sectors"] = _labels(
        entry.get("user_sectors", ALL), f"{key}.user_sectors", problems, allow_empty=False
    )
    change = _number(entry.get("change", -1.0), f"{key}.change", problems)
    if change is not None and change < -1:
        problems.add(f"{key}.change", f"cannot cut more than everything (-1), got {change:g}")
    options["change"] = change
    propagation = _choice(
        entry.get("propagation", "leontief"), f"{key}.propagation", PROPAGATIONS, problems
    )
    # Ghosh cuts only intermediate flows, so that is its default.
    default_flows = "intermediate" if propagation == "ghosh" else "both"
    flows = _choice(entry.get("flows", default_flows), f"{key}.flows", FLOW_KINDS, problems)
    options["flows"], options["propagation"] = flows, propagation
    if propagation == "ghosh" and flows not in (None, "intermediate"):
        problems.add(
            f"{key}.flows",
            'propagation = "ghosh" needs flows = "intermediate": in the Ghosh model final '
            "demand is the residual of sales, so final-goods flows cannot be cut",
        )


def _positive_int(value: Any, key: str, problems: _Problems, *, low: int = 1) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        problems.add(key, f"expected an integer >= {low}, got {value!r}")
        return None
    return value


def _parse_supply_constrained(entry, key, options, problems) -> None:
    """The supply_cut selection keys plus the constrained model's options."""
    _parse_supply_cut({**entry, "propagation": "leontief"}, key, options, problems)
    options.pop("propagation", None)
    change = options.get("change")
    if change is not None and change > 0:
        problems.add(
            f"{key}.change",
            f"a supply-constrained shock cuts supply: change must lie in [-1, 0], got {change:g}",
        )
    options["substitution"] = _share(
        entry.get("substitution", 0.0), f"{key}.substitution", problems
    )
    options["rationing"] = _choice(
        entry.get("rationing", "proportional"), f"{key}.rationing", RATIONING, problems
    )
    options["min_input_share"] = _share(
        entry.get("min_input_share", 0.0), f"{key}.min_input_share", problems
    )
    tolerance = _number(entry.get("tolerance", 1e-10), f"{key}.tolerance", problems)
    if tolerance is not None and not 0 < tolerance < 1:
        problems.add(f"{key}.tolerance", f"must lie in (0, 1), got {tolerance:g}")
    options["tolerance"] = tolerance
    options["max_iterations"] = _positive_int(
        entry.get("max_iterations", 1000), f"{key}.max_iterations", problems
    )


def _parse_dynamic(entry, key, options, problems) -> None:
    """A capacity-loss event for boario's ARIO model (weekly steps)."""
    if "countries" not in entry:
        problems.add(f"{key}.countries", "missing: the countries whose capacity is hit")
    options["countries"] = _labels(
        entry.get("countries", []), f"{key}.countries", problems, allow_empty=False
    )
    options["sectors"] = _labels(
        entry.get("sectors", ALL), f"{key}.sectors", problems, allow_empty=False
    )
    if "capacity_loss" not in entry:
        problems.add(f"{key}.capacity_loss", "missing: the share of productive capital lost")
    loss = _share(entry.get("capacity_loss", 0.0), f"{key}.capacity_loss", problems)
    if loss is not None and not 0 < loss < 1:
        problems.add(f"{key}.capacity_loss", f"must lie in (0, 1), got {loss:g}")
    options["capacity_loss"] = loss
    options["weeks"] = _positive_int(entry.get("weeks", 52), f"{key}.weeks", problems, low=2)
    event = _choice(entry.get("event", "rebuild"), f"{key}.event", DYNAMIC_EVENTS, problems)
    options["event"] = event
    for name, default in (
        ("recovery_weeks", 26),
        ("rebuild_weeks", 26),
        ("inventory_weeks", 4),
        ("overproduction_weeks", 52),
    ):
        options[name] = _positive_int(entry.get(name, default), f"{key}.{name}", problems)
    alpha = _number(entry.get("overproduction_max", 1.25), f"{key}.overproduction_max", problems)
    if alpha is not None and alpha < 1:
        problems.add(f"{key}.overproduction_max", f"must be >= 1 (1 = none), got {alpha:g}")
    options["overproduction_max"] = alpha
    ratio = _number(entry.get("capital_to_va", 4.0), f"{key}.capital_to_va", problems)
    if ratio is not None and ratio <= 0:
        problems.add(f"{key}.capital_to_va", f"must be > 0, got {ratio:g}")
    options["capital_to_va"] = ratio
    rebuilding = entry.get("rebuilding_sectors")
    if event == "rebuild":
        if not isinstance(rebuilding, Mapping) or not rebuilding:
            problems.add(
                f"{key}.rebuilding_sectors",
                'event = "rebuild" needs a table sector -> share of the rebuilding demand '
                "(e.g. { c18 = 0.7, c13 = 0.3 }) summing to 1",
            )
            rebuilding = {}
        shares = {
            str(sector): _share(share, f"{key}.rebuilding_sectors.{sector}", problems)
            for sector, share in rebuilding.items()
        }
        if shares and all(v is not None for v in shares.values()):
            total = sum(shares.values())
            if abs(total - 1.0) > 1e-9:
                problems.add(f"{key}.rebuilding_sectors", f"shares must sum to 1, got {total:.6g}")
        options["rebuilding_sectors"] = shares
    else:
        if rebuilding is not None:
            problems.add(
                f"{key}.rebuilding_sectors", 'only for event = "rebuild" (recovery has none)'
            )
        options["rebuilding_sectors"] = {}


def _parse_relocation(entry, key, options, problems) -> None:
    country = entry.get("country")
    if not isinstance(country, str) or not country:
        problems.add(f"{key}.country", "missing: the one country production moves away from")
        country = ""
    options["country"] = country
    if "sectors" not in entry:
        problems.add(f"{key}.sectors", "missing: the sectors whose sales move")
    options["sectors"] = _labels(
        entry.get("sectors", []), f"{key}.sectors", problems, allow_empty=False
    )
    if "share" not in entry:
        problems.add(f"{key}.share", "missing: the share of sales that moves, in [0, 1]")
    options["share"] = _share(entry.get("share", 0.0), f"{key}.share", problems)
    options["buyers"] = _labels(
        entry.get("buyers", FOREIGN), f"{key}.buyers", problems, allow_empty=False
    )
    if "destinations" not in entry:
        problems.add(f"{key}.destinations", "missing: the countries production moves to")
    destinations = _labels(
        entry.get("destinations", []), f"{key}.destinations", problems, allow_empty=False
    )
    options["destinations"] = destinations
    weights = entry.get("weights", "output")
    if isinstance(weights, str):
        if weights not in ("output", "equal"):
            problems.add(
                f"{key}.weights", f'must be "output", "equal" or a list of shares, got {weights!r}'
            )
    elif isinstance(weights, list):
        values = [_share(w, f"{key}.weights[{i}]", problems) for i, w in enumerate(weights, 1)]
        if len(values) != len(destinations):
            problems.add(
                f"{key}.weights",
                f"{len(values)} weights for {len(destinations)} destinations",
            )
        elif all(v is not None for v in values) and abs(sum(values) - 1.0) > 1e-9:
            problems.add(f"{key}.weights", f"shares must sum to 1, got {sum(values):.6g}")
        weights = values
    else:
        problems.add(
            f"{key}.weights", f'must be "output", "equal" or a list of shares, got {weights!r}'
        )
    options["weights"] = weights
    options["on_missing"] = _choice(
        entry.get("on_missing", "error"), f"{key}.on_missing", ("error", "skip"), problems
    )
    options["flows"] = _choice(entry.get("flows", "both"), f"{key}.flows", FLOW_KINDS, problems)
    if country and country in destinations:
        problems.add(f"{key}.destinations", f"{country} is both the origin and a destination")
    if isinstance(weights, list) and options["on_missing"] == "skip":
        problems.add(
            f"{key}.on_missing",
            'on_missing = "skip" cannot be combined with explicit weights (which would no '
            'longer sum to 1); use weights = "output" or "equal"',
        )


def _coverage(rate: Mapping[str, Any], rkey: str, problems: _Problems) -> Any:
    """A share in [0, 1], or a table sector -> share (then ``sectors`` must be omitted)."""
    value = rate.get("coverage", 1.0)
    if isinstance(value, Mapping):
        if "sectors" in rate:
            problems.add(
                f"{rkey}.sectors",
                "give either sectors or a per-sector coverage table, not both (the coverage "
                "table's keys are the sectors)",
            )
        if not value:
            problems.add(f"{rkey}.coverage", "empty coverage table")
        return {
            str(sector): _share(share, f"{rkey}.coverage.{sector}", problems)
            for sector, share in value.items()
        }
    return _share(value, f"{rkey}.coverage", problems)


def _parse_tariff(entry, key, options, problems) -> None:
    rates_raw = entry.get("rates")
    if not isinstance(rates_raw, list) or not rates_raw:
        problems.add(f"{key}.rates", "missing: a list of [[shocks.rates]] tables")
        options["rates"] = ()
        return
    rates = []
    for i, rate in enumerate(rates_raw, 1):
        rkey = f"{key}.rates[{i}]"
        if not isinstance(rate, Mapping):
            problems.add(rkey, "must be a table")
            continue
        for name in rate:
            if name not in _RATE_KEYS:
                problems.add(
                    f"{rkey}.{name}", f"unknown key; allowed: {', '.join(sorted(_RATE_KEYS))}"
                )
        for required in ("exporters", "importers", "rate"):
            if required not in rate:
                problems.add(f"{rkey}.{required}", "missing")
        value = _number(rate.get("rate", 0.0), f"{rkey}.rate", problems)
        if value is not None and value < 0:
            problems.add(f"{rkey}.rate", f"an ad-valorem tariff cannot be negative, got {value:g}")
        label = rate.get("label", f"rate {i}")
        if not isinstance(label, str):
            problems.add(f"{rkey}.label", "must be a string")
            label = f"rate {i}"
        rates.append(
            {
                "index": i,
                "label": label,
                "exporters": _labels(
                    rate.get("exporters", []), f"{rkey}.exporters", problems, allow_empty=False
                ),
                "importers": _labels(
                    rate.get("importers", []), f"{rkey}.importers", problems, allow_empty=False
                ),
                "sectors": _labels(
                    rate.get("sectors", ALL), f"{rkey}.sectors", problems, allow_empty=False
                ),
                "user_sectors": _labels(
                    rate.get("user_sectors", ALL),
                    f"{rkey}.user_sectors",
                    problems,
                    allow_empty=False,
                ),
                "rate": value,
                "coverage": _coverage(rate, rkey, problems),
                "hs_codes": _hs_codes(rate, rkey, problems),
                "missing_trade": _choice(
                    rate.get("missing_trade", "error"),
                    f"{rkey}.missing_trade",
                    MISSING_TRADE,
                    problems,
                ),
            }
        )
        if "missing_trade" in rate and rates[-1]["hs_codes"] is None:
            problems.add(f"{rkey}.missing_trade", "only applies to hs_codes lists")
    options["rates"] = tuple(rates)


_KIND_PARSERS = {
    "demand": _parse_demand,
    "supply": _parse_supply,
    "extraction": _parse_extraction,
    "supply_cut": _parse_supply_cut,
    "relocation": _parse_relocation,
    "tariff": _parse_tariff,
    "supply_constrained": _parse_supply_constrained,
    "dynamic": _parse_dynamic,
}


# ---------------------------------------------------------------------- resolution against a table
@dataclass(frozen=True)
class ResolvedShock:
    """A shock with labels turned into positions in one table (see :mod:`shocks`)."""

    spec: ShockSpec
    params: Mapping[str, Any]
    notes: tuple[str, ...] = ()


class _Resolver:
    """Label look-ups against one table, collecting problems."""

    def __init__(self, model: MRIOModel, problems: _Problems, trade: TradeSpec | None = None):
        self.model = model
        self.problems = problems
        self.notes: list[str] = []
        self.trade = trade

    def countries(
        self, labels: Sequence[str], key: str, *, exclude: int | None = None, missing: str = "error"
    ) -> list[int]:
        """Country positions for codes, groups, ALL or FOREIGN (all but ``exclude``)."""
        model = self.model
        positions: list[int] = []
        for i, label in enumerate(labels, 1):
            item_key = f"{key}[{i}]" if len(labels) > 1 else key
            upper = label.upper()
            if upper == ALL:
                positions.extend(range(model.G))
                continue
            if upper == FOREIGN:
                if exclude is None:
                    self.problems.add(item_key, "FOREIGN needs a single origin country")
                    continue
                positions.extend(p for p in range(model.G) if p != exclude)
                continue
            try:
                positions.append(model.country_position(label))
                continue
            except ValidationError:
                pass
            group = self._group(label)
            if group is None:
                if missing == "skip":
                    self.notes.append(
                        f"{item_key}: {label} is not in {model.source} {model.year} "
                        "(skipped; its share goes to the remaining destinations)"
                    )
                    continue
                self.problems.add(
                    item_key,
                    f"unknown country or group {label!r}; {model.source} {model.year} has "
                    f"{', '.join(model.countries)}{_known_groups_text()}",
                )
                continue
            if group.missing:
                self.notes.append(f"{item_key}: group {group.note()}")
            if not group.present:
                self.problems.add(item_key, f"group {label!r} has no member in this table")
            positions.extend(model.countries.index(c) for c in group.present)
        return list(dict.fromkeys(positions))

    def _group(self, label: str):
        try:
            from chainatlas.core.groups import resolve_group
        except ImportError:  # groups module not available: plain ISO3 codes only
            return None
        try:
            return resolve_group(label, self.model.countries, year=self.model.year)
        except ChainAtlasError:  # not a configured group
            return None

    def sectors(self, labels: Sequence[str], key: str) -> list[int]:
        positions: list[int] = []
        for i, label in enumerate(labels, 1):
            item_key = f"{key}[{i}]" if len(labels) > 1 else key
            if label.upper() == ALL:
                positions.extend(range(self.model.N))
                continue
            try:
                positions.append(self.model.sector_position(label))
            except ValidationError:
                self.problems.add(
                    item_key,
                    f"unknown sector {label!r}; {self.model.source} has "
                    f"{', '.join(self.model.sectors)}",
                )
        return list(dict.fromkeys(positions))

    def categories(self, labels: Sequence[str], key: str) -> list[int]:
        model = self.model
        positions: list[int] = []
        for i, label in enumerate(labels, 1):
            item_key = f"{key}[{i}]" if len(labels) > 1 else key
            if label.upper() == ALL:
                positions.extend(range(model.F))
            elif label in model.fd_categories:
                positions.append(model.fd_categories.index(label))
            elif label in model.fd_category_names:
                positions.append(model.fd_category_names.index(label))
            else:
                problems_text = ", ".join(
                    f"{c} ({n})"
                    for c, n in zip(model.fd_categories, model.fd_category_names, strict=True)
                )
                self.problems.add(
                    item_key,
                    f"unknown final-demand category {label!r}; the table has {problems_text}",
                )
        return list(dict.fromkeys(positions))

    def rows(self, countries: Sequence[int], sectors: Sequence[int]) -> np.ndarray:
        """GN positions of country-sectors (country-major)."""
        N = self.model.N
        return np.array([c * N + s for c in countries for s in sectors], dtype=np.intp)

    def fd_columns(self, countries: Sequence[int], categories: Sequence[int]) -> np.ndarray:
        F = self.model.F
        return np.array([c * F + k for c in countries for k in categories], dtype=np.intp)


def resolve_shocks(spec: ScenarioSpec, model: MRIOModel) -> list[ResolvedShock]:
    """Turn every shock's labels into positions in ``model``; all problems at once."""
    problems = _Problems()
    resolved = []
    for shock in spec.shocks:
        resolver = _Resolver(model, problems, spec.trade)
        n_before = len(problems.items)
        params = _RESOLVERS[shock.kind](shock, resolver)
        for i, ref in enumerate(shock.references, 1):
            rkey = f"{shock.key}.references[{i}]"
            countries = resolver.countries(ref.countries, f"{rkey}.countries")
            excluded = (
                set(resolver.countries(ref.exclude, f"{rkey}.exclude")) if ref.exclude else set()
            )
            params.setdefault("reference_countries", []).append(
                [c for c in countries if c not in excluded]
            )
        if len(problems.items) == n_before:
            resolved.append(ResolvedShock(shock, params, tuple(resolver.notes)))
    if spec.groups:
        resolver = _Resolver(model, problems)
        for i, name in enumerate(spec.groups, 1):
            resolver.countries([name], f"outputs.groups[{i}]")
    if problems.items:
        where = f"{model.source} {model.year}"
        raise ScenarioError([f"{p} (table {where})" for p in problems.items], path=spec.origin)
    return resolved


def _resolve_demand(shock: ShockSpec, r: _Resolver) -> dict[str, Any]:
    o, key = shock.options, shock.key
    rows = r.rows(
        r.countries(o["countries"], f"{key}.countries"), r.sectors(o["sectors"], f"{key}.sectors")
    )
    producers = r.countries(o["countries"], f"{key}.countries")
    cols = r.fd_columns(
        r.countries(
            o["destinations"],
            f"{key}.destinations",
            exclude=producers[0] if len(producers) == 1 else None,
        ),
        r.categories(o["categories"], f"{key}.categories"),
    )
    amount_without_base = (
        o.get("amount") is not None
        and rows.size
        and cols.size
        and r.model.Y_full[np.ix_(rows, cols)].sum() == 0
    )
    if amount_without_base:
        r.problems.add(
            f"{key}.amount",
            "the selected final-demand cells are all 0 in the base table: nothing to "
            "spread the amount over",
        )
    return {"rows": rows, "fd_columns": cols, "change": o.get("change"), "amount": o.get("amount")}


def _resolve_supply(shock: ShockSpec, r: _Resolver) -> dict[str, Any]:
    o, key = shock.options, shock.key
    rows = r.rows(
        r.countries(o["countries"], f"{key}.countries"), r.sectors(o["sectors"], f"{key}.sectors")
    )
    return {"rows": rows, "change": o.get("change"), "amount": o.get("amount")}


def _resolve_extraction(shock: ShockSpec, r: _Resolver) -> dict[str, Any]:
    o, key = shock.options, shock.key
    rows = r.rows(
        r.countries(o["countries"], f"{key}.countries"), r.sectors(o["sectors"], f"{key}.sectors")
    )
    return {"rows": rows, "mode": o["mode"]}


def _known_groups_text() -> str:
    """'; groups: NEA, ASEAN-9, …' so a misspelt group name shows the right ones."""
    try:
        from chainatlas.core.groups import list_groups
    except ImportError:
        return ""
    names = [str(g["name"]) for g in list_groups() if isinstance(g, dict) and "name" in g]
    return f"; groups: {', '.join(names)}, ALL, FOREIGN" if names else ""


def _resolve_supply_cut(shock: ShockSpec, r: _Resolver) -> dict[str, Any]:
    o, key = shock.options, shock.key
    suppliers = r.countries(o["suppliers"], f"{key}.suppliers")
    exclude = suppliers[0] if len(suppliers) == 1 else None
    if len(suppliers) > 1 and any(u.upper() == FOREIGN for u in o["users"]):
        # FOREIGN with several suppliers means "every country outside the supplier set".
        users = [c for c in range(r.model.G) if c not in suppliers]
        users_labels = [u for u in o["users"] if u.upper() != FOREIGN]
        users += r.countries(users_labels, f"{key}.users") if users_labels else []
        if not users:
            # e.g. suppliers = "ALL" with the default users = "FOREIGN": nothing is cut, and
            # the run would silently report zero change everywhere.
            r.problems.add(
                f"{key}.users",
                "FOREIGN leaves no user country: every country is a supplier; list the users "
                '(e.g. users = ["CHN"]) or narrow the suppliers',
            )
    else:
        users = r.countries(o["users"], f"{key}.users", exclude=exclude)
    supplier_rows = r.rows(suppliers, r.sectors(o["supplier_sectors"], f"{key}.supplier_sectors"))
    user_columns = r.rows(users, r.sectors(o["user_sectors"], f"{key}.user_sectors"))
    user_fd_columns = r.fd_columns(users, range(r.model.F))
    return {
        "supplier_rows": supplier_rows,
        "user_columns": user_columns,
        "user_fd_columns": user_fd_columns,
        "factor": 1.0 + o["change"],
        "flows": o["flows"],
        "propagation": o["propagation"],
    }


def _resolve_relocation(shock: ShockSpec, r: _Resolver) -> dict[str, Any]:
    o, key = shock.options, shock.key
    origin = r.countries([o["country"]], f"{key}.country")
    if len(origin) != 1:
        if origin:
            r.problems.add(f"{key}.country", "must name one country, not a group")
        return {}
    origin_pos = origin[0]
    sectors = r.sectors(o["sectors"], f"{key}.sectors")
    buyers = r.countries(o["buyers"], f"{key}.buyers", exclude=origin_pos)
    destinations = r.countries(o["destinations"], f"{key}.destinations", missing=o["on_missing"])
    if origin_pos in destinations:
        r.problems.add(
            f"{key}.destinations",
            f"{r.model.countries[origin_pos]} is both the origin and a destination",
        )
    if not destinations:
        r.problems.add(f"{key}.destinations", "no destination country is in the table")
    weights = o["weights"]
    if isinstance(weights, list) and len(destinations) != len(weights):
        r.problems.add(
            f"{key}.weights",
            f"{len(weights)} weights but {len(destinations)} destinations resolved in the table "
            "(a group expands to its members; list countries when giving weights)",
        )
    if weights == "output" and destinations and sectors:
        output = r.model.x.reshape(r.model.G, r.model.N)[np.ix_(destinations, sectors)]
        totals = output.sum(axis=0)
        idle = [r.model.sectors[s] for s, total in zip(sectors, totals, strict=True) if total <= 0]
        if idle:
            r.problems.add(
                f"{key}.weights",
                f'weights = "output" but the destinations produce nothing in '
                f'{", ".join(idle)}; use "equal" or explicit shares',
            )
    buyer_columns = r.rows(buyers, range(r.model.N))
    return {
        "origin": origin_pos,
        "sectors": np.array(sectors, dtype=np.intp),
        "share": o["share"],
        "buyer_columns": buyer_columns,
        "buyer_fd_columns": r.fd_columns(buyers, range(r.model.F)),
        "destinations": np.array(destinations, dtype=np.intp),
        "weights": weights,
        "flows": o["flows"],
    }


def _resolve_tariff(shock: ShockSpec, r: _Resolver) -> dict[str, Any]:
    key = shock.key
    entries: list[dict[str, Any]] = []
    coverage_by_flow: dict[tuple[int, int], float] = {}
    coverage_tables: list[Any] = []
    for rate in shock.options["rates"]:
        rkey = f"{key}.rates[{rate['index']}]"
        exporters = r.countries(rate["exporters"], f"{rkey}.exporters")
        importers = r.countries(
            rate["importers"],
            f"{rkey}.importers",
            exclude=exporters[0] if len(exporters) == 1 else None,
        )
        if rate.get("hs_codes") is not None:
            user_sectors = r.sectors(rate["user_sectors"], f"{rkey}.user_sectors")
            if set(exporters) & set(importers):
                r.problems.add(
                    f"{rkey}.importers",
                    "a tariff applies to imports; exporter and importer overlap",
                )
            else:
                _resolve_hs_rate(rate, rkey, exporters, importers, user_sectors, r, entries,
                                 coverage_by_flow, coverage_tables)  # fmt: skip
            continue
        coverage = rate["coverage"]
        if isinstance(coverage, Mapping):
            sectors = r.sectors(list(coverage), f"{rkey}.coverage")
            shares = np.array(list(coverage.values()), dtype=float)
        else:
            sectors = r.sectors(rate["sectors"], f"{rkey}.sectors")
            shares = np.full(len(sectors), coverage, dtype=float)
        user_sectors = r.sectors(rate["user_sectors"], f"{rkey}.user_sectors")
        overlap = sorted(set(exporters) & set(importers))
        if overlap:
            r.problems.add(
                f"{rkey}.importers",
                "a tariff applies to imports; exporter and importer overlap in "
                f"{', '.join(r.model.countries[c] for c in overlap)}",
            )
        for e in exporters:
            for s, share in zip(sectors, shares, strict=False):
                for m in importers:
                    total = coverage_by_flow.get((e * r.model.N + s, m), 0.0) + share
                    coverage_by_flow[(e * r.model.N + s, m)] = total
        entries.append(
            {
                "label": rate["label"],
                "rows": r.rows(exporters, sectors),
                "importers": np.array(importers, dtype=np.intp),
                "user_sectors": np.array(user_sectors, dtype=np.intp),
                "rate": rate["rate"],
                # one share per row of ``rows`` (exporter-major, then sector)
                "coverage": np.tile(shares, len(exporters)),
            }
        )
    over = [(k, v) for k, v in coverage_by_flow.items() if v > 1 + 1e-9]
    if over:
        (row, importer), total = over[0]
        m = r.model
        r.problems.add(
            f"{key}.rates",
            f"coverage shares of one flow add to more than 1 ({total:.4g} for "
            f"{m.countries[row // m.N]}.{m.sectors[row % m.N]} -> {m.countries[importer]}; "
            f"{len(over)} flow(s) in all); the shares of one flow covered by different lists "
            "must sum to <= 1",
        )
    params: dict[str, Any] = {"entries": entries}
    if coverage_tables:
        import pandas as pd

        params["coverage_table"] = pd.concat(coverage_tables, ignore_index=True)
    return params


def _resolve_hs_rate(rate, rkey, exporters, importers, user_sectors, r: _Resolver, entries,
                     coverage_by_flow, coverage_tables) -> None:  # fmt: skip
    """Sector coverage of an HS list from the trade store; one entry per traded pair."""
    from chainatlas.scenarios.hs_tariffs import TradeSpec, coverage_note, hs_coverage

    m = r.model
    codes = rate["hs_codes"]
    if not exporters or not importers:  # unknown labels, reported already
        return
    if not codes:
        r.problems.add(f"{rkey}.hs_codes", "the HS code list is empty")
        return
    names_e = [m.countries[e] for e in exporters]
    names_i = [m.countries[i] for i in importers]
    try:
        cov = hs_coverage(r.trade or TradeSpec(), m, names_e, names_i, codes)
    except ChainAtlasError as exc:
        r.problems.add(f"{rkey}.hs_codes", str(exc).replace("\n", " "))
        return
    for exporter, importer in cov.missing_pairs:
        text = (
            f"the trade store has no {cov.vintage} {cov.year} flows from {exporter} to "
            f"{importer} ({cov.store}): HS-code coverage cannot be computed for that pair"
        )
        if rate["missing_trade"] == "skip":
            r.notes.append(
                f"{rkey}.hs_codes: {text}; no tariff applied to it (missing_trade = skip)"
            )
        else:
            r.problems.add(
                f"{rkey}.hs_codes",
                f'{text}; load its trade, or set missing_trade = "skip" to leave it untaxed',
            )
    if rate["missing_trade"] != "skip" and cov.missing_pairs:
        return
    table = cov.table[cov.table["total"] > 0]
    if table.empty:
        return
    r.notes.append(coverage_note(f"{rkey} {rate['label']}", len(codes), cov))
    for (exporter, importer), group in table.groupby(["exporter", "importer"], sort=False):
        e, i = m.country_position(exporter), m.country_position(importer)
        sectors = [m.sector_position(s) for s in group["sector"]]
        shares = group["coverage"].to_numpy(dtype=float)
        for s, share in zip(sectors, shares, strict=True):
            key = (e * m.N + s, i)
            coverage_by_flow[key] = coverage_by_flow.get(key, 0.0) + float(share)
        entries.append(
            {
                "label": rate["label"],
                "rows": r.rows([e], sectors),
                "importers": np.array([i], dtype=np.intp),
                "user_sectors": np.array(user_sectors, dtype=np.intp),
                "rate": rate["rate"],
                "coverage": shares,
            }
        )
    coverage_tables.append(
        table.assign(
            rate_label=rate["label"],
            n_hs_codes=len(codes),
            tariff_rate=rate["rate"],
            effective_rate=rate["rate"] * table["coverage"],
            trade_year=cov.year,
            vintage=cov.vintage,
        )[
            [
                "rate_label",
                "exporter",
                "importer",
                "sector",
                "n_hs_codes",
                "n_lines",
                "covered",
                "total",
                "coverage",
                "tariff_rate",
                "effective_rate",
                "trade_year",
                "vintage",
            ]
        ]
    )


def _resolve_supply_constrained(shock: ShockSpec, r: _Resolver) -> dict[str, Any]:
    o = shock.options
    params = _resolve_supply_cut(
        ShockSpec(shock.index, shock.kind, shock.id, shock.description,
                  {**o, "propagation": "leontief"}, shock.references),
        r,
    )  # fmt: skip
    for name in ("substitution", "rationing", "min_input_share", "tolerance", "max_iterations"):
        params[name] = o[name]
    return params


def _resolve_dynamic(shock: ShockSpec, r: _Resolver) -> dict[str, Any]:
    o, key = shock.options, shock.key
    rows = r.rows(
        r.countries(o["countries"], f"{key}.countries"), r.sectors(o["sectors"], f"{key}.sectors")
    )
    rebuilding = {}
    for sector, share in o["rebuilding_sectors"].items():
        found = r.sectors([sector], f"{key}.rebuilding_sectors.{sector}")
        if found:
            rebuilding[r.model.sectors[found[0]]] = share
    params = {name: o[name] for name in o if name not in ("countries", "sectors")}
    params.update({"rows": rows, "rebuilding_sectors": rebuilding})
    return params


_RESOLVERS = {
    "demand": _resolve_demand,
    "supply": _resolve_supply,
    "extraction": _resolve_extraction,
    "supply_cut": _resolve_supply_cut,
    "relocation": _resolve_relocation,
    "tariff": _resolve_tariff,
    "supply_constrained": _resolve_supply_constrained,
    "dynamic": _resolve_dynamic,
}
