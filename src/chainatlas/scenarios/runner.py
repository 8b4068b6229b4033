"""Run scenario files: per table-year units, result assembly, Markdown summary."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from chainatlas.core.model import MRIOModel
from chainatlas.errors import ChainAtlasError
from chainatlas.scenarios.constrained import apply_supply_constrained, binding_table
from chainatlas.scenarios.prices import tariff_prices
from chainatlas.scenarios.results import (
    base_measures,
    group_table,
    price_tables,
    quantity_tables,
)
from chainatlas.scenarios.shocks import QUANTITY_SHOCKS
from chainatlas.scenarios.spec import (
    OUTPUT_TABLES,
    ScenarioError,
    ScenarioSpec,
    parse_scenario_partial,
    read_scenario_file,
    resolve_shocks,
)
from chainatlas.util.files import atomic_write, write_table

# First line of every summary.md; marks a directory as holding a scenario run's output.
SUMMARY_HEADING = "# Scenario: "


@dataclass
class ScenarioResult:
    """Everything a scenario run produced: tidy tables and a short Markdown summary."""

    spec: ScenarioSpec
    tables: dict[str, pd.DataFrame]
    summary_markdown: str
    notes: list[str] = field(default_factory=list)
    charts: dict[str, str] = field(default_factory=dict)  # file name -> HTML (dynamic runs)

    def write(self, out_dir: str | os.PathLike[str], fmt: str = "parquet") -> list[Path]:
        """Write each table as ``<name>.parquet`` (or .csv) and ``summary.md``, atomically."""

        target = Path(out_dir)
        if target.exists() and not target.is_dir():
            raise ChainAtlasError("output path exists and is not a directory", path=str(target))
        if fmt not in ("parquet", "csv"):
            raise ChainAtlasError(f"unknown table format {fmt!r}; use parquet or csv")
        summary = target / "summary.md"
        earlier_run = summary.is_file() and summary.read_text(
            encoding="utf-8", errors="replace"
        ).startswith(SUMMARY_HEADING)
        written = []
        try:
            for name, frame in self.tables.items():
                written.append(write_table(frame, target / f"{name}.{fmt}"))
            for name, html in self.charts.items():
                written.append(
                    atomic_write(
                        target / name, lambda tmp, html=html: tmp.write_text(html, "utf-8")
                    )
                )
            written.append(
                atomic_write(
                    summary, lambda tmp: tmp.write_text(self.summary_markdown, encoding="utf-8")
                )
            )
        except OSError as exc:  # a parent that is a file, no permission, disk full
            raise ChainAtlasError(
                f"cannot write the results ({exc.strerror or exc})", path=str(target)
            ) from exc
        if earlier_run:
            # Tables of an earlier scenario run into the same directory that this run does
            # not rewrite (another shock kind, the other --format) would otherwise sit next
            # to the new summary and be read as this scenario's results. Only our own
            # table names are removed, and only where summary.md shows a scenario run.
            for name in (*OUTPUT_TABLES, "references"):
                for suffix in ("parquet", "csv"):
                    stale = target / f"{name}.{suffix}"
                    if stale not in written and stale.is_file():
                        stale.unlink()
        return written


def _load_model(spec: ScenarioSpec, year: int, path: str | os.PathLike[str] | None) -> MRIOModel:
    from chainatlas import sources

    return sources.load(spec.source, path, year)


def _validated(
    path_or_dict: str | os.PathLike[str] | Mapping[str, Any] | ScenarioSpec,
    path: str | os.PathLike[str] | None,
    model: MRIOModel | None,
    *,
    load_tables: bool = True,
    trade_store: str | os.PathLike[str] | None = None,
) -> tuple[ScenarioSpec, dict[int, MRIOModel]]:
    """Parse, load the tables and resolve labels; one ScenarioError with every problem.

    Shocks with structural problems are reported and left out; the others are still checked
    against the table, so a single run reports every problem in the file.
    """
    if isinstance(path_or_dict, ScenarioSpec):
        spec, problems = path_or_dict, []
    elif isinstance(path_or_dict, Mapping):
        spec, problems = parse_scenario_partial(path_or_dict, origin=None)
    else:
        raw = read_scenario_file(path_or_dict)
        spec, problems = parse_scenario_partial(raw, origin=str(path_or_dict))
    if trade_store is not None:
        spec = with_trade_store(spec, trade_store)
    if spec.trade is not None and spec.trade.wiod_dir is None and spec.source == "wiod2013":
        import dataclasses

        from chainatlas.scenarios.hs_tariffs import table_dir

        # WIOD's ISIC concordance sits beside its tables: the directory --path names
        trade = dataclasses.replace(spec.trade, wiod_dir=table_dir(spec.source, path))
        spec = dataclasses.replace(spec, trade=trade)
    models: dict[int, MRIOModel] = {}
    if model is not None:
        if list(spec.years) != [model.year]:
            problems.append(
                f"table: the scenario names year(s) {list(spec.years)} but the model given is "
                f"{model.source} {model.year}"
            )
        models[model.year] = model
    elif spec.source and spec.years and load_tables:
        for year in spec.years:
            try:
                models[year] = _load_model(spec, year, path)
            except ChainAtlasError as exc:
                problems.append(f"table: cannot load {spec.source} {year}: {exc}")
    for table in models.values():
        try:
            resolve_shocks(spec, table)
        except ScenarioError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ScenarioError(problems, path=spec.origin)
    return spec, models


def with_trade_store(spec: ScenarioSpec, store: str | os.PathLike[str]) -> ScenarioSpec:
    """``spec`` with its ``[trade] store`` replaced (the CLI's --trade-store)."""
    import dataclasses

    from chainatlas.scenarios.hs_tariffs import TradeSpec

    trade = dataclasses.replace(spec.trade or TradeSpec(), store=str(store))
    return dataclasses.replace(spec, trade=trade)


def check_scenario(
    path_or_dict: str | os.PathLike[str] | Mapping[str, Any],
    path: str | os.PathLike[str] | None = None,
    model: MRIOModel | None = None,
    *,
    trade_store: str | os.PathLike[str] | None = None,
) -> ScenarioSpec:
    """Validate a scenario fully (structure, then labels against its table); raise on problems.

    ``trade_store`` replaces the file's ``[trade] store`` (HS-code tariff lists).
    """
    spec, _ = _validated(path_or_dict, path, model, trade_store=trade_store)
    return spec


def run_scenario_year(spec: ScenarioSpec, model: MRIOModel) -> dict[str, pd.DataFrame]:
    """Run every shock of ``spec`` on one table (the unit a distributed backend calls).

    Each shock is evaluated against the same base table (shocks are alternatives, not
    cumulative). Returns the tables named in ``spec.tables`` plus ``references``.
    """
    resolved = resolve_shocks(spec, model)
    base_cache: dict[str, dict] = {}
    collected: dict[str, list[pd.DataFrame]] = {name: [] for name in OUTPUT_TABLES}
    collected["references"] = []
    groups = _resolve_output_groups(spec, model)
    for shock in resolved:
        labels = {
            "scenario": spec.name,
            "shock": shock.spec.id,
            "kind": shock.spec.kind,
            "year": model.year,
        }
        notes = list(shock.notes)
        try:
            notes += _run_shock(shock, model, labels, base_cache, collected, groups)
        except ScenarioError:
            raise
        except ChainAtlasError as exc:  # a problem only the numbers reveal: name the shock
            raise ScenarioError([f"{shock.spec.key}: {exc}"], path=spec.origin) from None
        collected["notes"].append(
            pd.DataFrame({**{k: [v] * len(notes) for k, v in labels.items()}, "note": notes})
        )
    for _name, _members, note in groups:
        if note:
            collected["notes"].append(
                pd.DataFrame(
                    {
                        "scenario": [spec.name],
                        "shock": [""],
                        "kind": [""],
                        "year": [model.year],
                        "note": [f"group {note}"],
                    }
                )
            )
    wanted = set(spec.tables) | {"references", "notes"}
    return {
        name: pd.concat(frames, ignore_index=True)
        for name, frames in collected.items()
        if frames and name in wanted
    }


def _run_shock(shock, model, labels, base_cache, collected, groups) -> list[str]:
    """Run one resolved shock, append its tables to ``collected``; returns its notes."""
    notes: list[str] = []
    if shock.spec.kind == "dynamic":
        from chainatlas.scenarios.dynamic import dynamic_tables, run_dynamic

        run = run_dynamic(model, dict(shock.params))
        cs, country = dynamic_tables(model, run, labels)
        collected["dynamic_country_sector"].append(cs)
        collected["dynamic_country"].append(country)
        notes += run.notes
        notes.append(f"boario run time {run.seconds:.1f} s")
        if shock.spec.references:
            # ARIO reports production, not trade: references compare with the production
            # change summed over the run, whatever measure they name (said in the note)
            totals = country[country["measure"] == "production"].groupby("country")["change"]
            pseudo = totals.sum().reset_index()
            frames = [pseudo.assign(measure=m) for m in ("gross_output", "gdp", "exports", "vax")]
            refs = _references(shock, pd.concat(frames, ignore_index=True), model, labels)
            refs["note"] = "dynamic (ARIO): production change summed over the run, not " + refs[
                "measure"
            ].astype(str)
            collected["references"].append(refs)
        return notes
    if shock.spec.kind == "tariff":
        outcome = tariff_prices(model, shock.params["entries"])
        cs, country = price_tables(model, outcome, labels)
        collected["prices_country_sector"].append(cs)
        collected["prices_country"].append(country)
        coverage = shock.params.get("coverage_table")
        if coverage is not None:
            frame = coverage.copy()
            for i, (name, value) in enumerate(labels.items()):
                frame.insert(i, name, value)
            collected["tariff_coverage"].append(frame)
        notes += outcome.notes
        notes.append(
            "tariff cost at base flows: intermediates "
            f"{outcome.intermediate_tariff_cost:,.0f}, "
            f"final goods {outcome.final_tariff_cost:,.0f} ({model.units})"
        )
        return notes
    if "base" not in base_cache:
        base_cache["base"] = base_measures(model)
    if shock.spec.kind == "supply_constrained":
        outcome, solution = apply_supply_constrained(model, dict(shock.params))
        collected["binding_inputs"].append(binding_table(model, solution, labels))
    else:
        outcome = QUANTITY_SHOCKS[shock.spec.kind](model, dict(shock.params))
    cs, country = quantity_tables(model, outcome, base_cache["base"], labels)
    collected["country_sector"].append(cs)
    collected["country"].append(country)
    if groups:
        collected["groups"].append(group_table(country, groups))
    notes += outcome.notes
    collected["references"].append(_references(shock, country, model, labels))
    return notes


def _resolve_output_groups(
    spec: ScenarioSpec, model: MRIOModel
) -> list[tuple[str, list[str], str]]:
    out = []
    for name in spec.groups:
        try:
            from chainatlas.core.groups import resolve_group

            group = resolve_group(name, model.countries, year=model.year)
            out.append((group.name, list(group.present), group.note() if group.missing else ""))
        except ChainAtlasError:  # a plain country code, validated already
            out.append((name, [model.countries[model.country_position(name)]], ""))
    return out


def _references(shock, country: pd.DataFrame, model: MRIOModel, labels: dict) -> pd.DataFrame:
    rows = []
    for ref, positions in zip(
        shock.spec.references, shock.params.get("reference_countries", []), strict=False
    ):
        members = [model.countries[p] for p in positions]
        subset = country[(country["measure"] == ref.measure) & country["country"].isin(members)]
        ours = float(subset["change"].sum())
        ours_abs = abs(ours)
        rows.append(
            {
                **labels,
                "reference": ref.label,
                "measure": ref.measure,
                "countries": ",".join(members),
                "n_countries": len(members),
                "ours": ours,
                "published": ref.value,
                "gap": ours_abs - abs(ref.value),
                "ratio": ours_abs / abs(ref.value) if ref.value else np.nan,
                "source": ref.source,
                "note": ref.note,
                "value": ours,
            }
        )
    return pd.DataFrame(rows)


ScenarioYearMapper = Callable[[ScenarioSpec, Sequence[int]], Iterable[dict[str, pd.DataFrame]]]
"""``mapper(spec, years)`` -> ``run_scenario_year(spec, <table of year>)`` for each of
``years``, in year order (e.g. on the workers of a distributed backend)."""


def run_scenario(
    path_or_dict: str | os.PathLike[str] | Mapping[str, Any] | ScenarioSpec,
    path: str | os.PathLike[str] | None = None,
    *,
    model: MRIOModel | None = None,
    map_years: ScenarioYearMapper | None = None,
    trade_store: str | os.PathLike[str] | None = None,
) -> ScenarioResult:
    """Validate and run a scenario on every year it names.

    ``path`` locates the table (else ``$CHAINATLAS_DATA``, else the fetch cache). ``model``
    runs on an already loaded table instead (its year must be the scenario's only year).
    ``map_years`` computes the per-year results elsewhere (default: here, on the tables
    loaded for validation); validation, assembly and the summary are the same either way.
    ``trade_store`` replaces the file's ``[trade] store`` (HS-code tariff lists).
    """
    spec, models = _validated(path_or_dict, path, model, trade_store=trade_store)
    if map_years is None:
        per_year = [run_scenario_year(spec, models[year]) for year in spec.years]
    else:
        per_year = list(map_years(spec, list(spec.years)))
    tables: dict[str, pd.DataFrame] = {}
    for name in dict.fromkeys(n for result in per_year for n in result):
        frames = [r[name] for r in per_year if name in r and not r[name].empty]
        if frames:
            tables[name] = pd.concat(frames, ignore_index=True)
    summary = summary_markdown(spec, tables, models)
    return ScenarioResult(
        spec=spec, tables=tables, summary_markdown=summary, charts=_dynamic_charts(spec, tables)
    )


def _dynamic_charts(spec: ScenarioSpec, tables: dict[str, pd.DataFrame]) -> dict[str, str]:
    """One plotly time-series page per dynamic shock and year: dynamic_<shock>_<year>.html."""
    country = tables.get("dynamic_country")
    if country is None or country.empty:
        return {}
    from chainatlas.reporting.scenario_charts import dynamic_chart_html

    charts = {}
    for (shock, year), frame in country.groupby(["shock", "year"], sort=False):
        title = f"{spec.name}: {shock} ({year}), weekly ARIO run (boario)"
        charts[f"dynamic_{shock}_{year}.html"] = dynamic_chart_html(frame, title, top=spec.top)
    return charts


# ---------------------------------------------------------------------- summary
def _fmt(value: float, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "–"
    text = f"{value:,.{digits}f}"
    # -1e-12 rounds to "-0.0": a sign the reader would take for a (tiny) loss
    return text[1:] if text.startswith("-") and not text.strip("-0.,") else text


def summary_markdown(
    spec: ScenarioSpec, tables: dict[str, pd.DataFrame], models: Mapping[int, MRIOModel]
) -> str:
    lines = [f"{SUMMARY_HEADING}{spec.name}", ""]
    if spec.description:
        lines += [spec.description.strip(), ""]
    for model in models.values():
        lines.append(f"Base table: {model.describe()}.")
    lines.append("")
    for note in spec.notes:
        lines.append(f"> {note}")
    if spec.notes:
        lines.append("")
    country = tables.get("country", pd.DataFrame())
    prices = tables.get("prices_country", pd.DataFrame())
    notes = tables.get("notes", pd.DataFrame())
    refs = tables.get("references", pd.DataFrame())
    for year in models:
        for shock in spec.shocks:
            lines += [f"## {shock.id} ({shock.kind}, {year})", ""]
            if shock.description:
                lines += [shock.description.strip(), ""]
            if shock.kind == "tariff":
                lines += _price_summary(prices, shock.id, year, spec.top)
            elif shock.kind == "dynamic":
                lines += _dynamic_summary(tables, shock.id, year, spec.top, models[year].units)
            else:
                lines += _quantity_summary(country, shock.id, year, spec.top, models[year].units)
            if not refs.empty:
                mine = refs[(refs["shock"] == shock.id) & (refs["year"] == year)]
                for _, ref in mine.iterrows():
                    economies = "economy" if ref["n_countries"] == 1 else "economies"
                    note = ref["note"] if isinstance(ref["note"], str) else ""
                    lines += [
                        f"**Comparison with {ref['reference']}** ({ref['source']}): "
                        f"ours {_fmt(ref['ours'])} vs published {_fmt(ref['published'])} "
                        f"({ref['measure']}, {ref['n_countries']} {economies}; ours/published = "
                        f"{ref['ratio']:.2f}, gap {_fmt(ref['gap'])}). {note}".rstrip(),
                        "",
                    ]
            if not notes.empty:
                mine = notes[(notes["shock"] == shock.id) & (notes["year"] == year)]
                if not mine.empty:
                    lines.append("Notes and limits:")
                    lines += [f"- {n}" for n in mine["note"]]
                    lines.append("")
    lines += _references_side_by_side(refs, spec)
    if not notes.empty:
        general = notes[notes["shock"] == ""]
        lines += [f"- {n}" for n in general["note"].drop_duplicates()]
    return "\n".join(lines).rstrip() + "\n"


def _references_side_by_side(refs: pd.DataFrame, spec: ScenarioSpec) -> list[str]:
    """One table: each published figure against every shock (model) that names it."""
    if refs.empty or refs["shock"].nunique() < 2:
        return []
    lines = []
    for year, frame in refs.groupby("year", sort=False):
        shocks = list(dict.fromkeys(frame["shock"]))
        kinds = {s.id: s.kind for s in spec.shocks}
        header = " | ".join(f"{s} ({kinds.get(s, '')})" for s in shocks)
        lines += [
            f"## Published figures against every model ({year})",
            "",
            f"| reference | published | {header} |",
            "|---|---:|" + "---:|" * len(shocks),
        ]
        for label, group in frame.groupby("reference", sort=False):
            by_shock = group.groupby("shock", sort=False)["ours"].first()
            cells = " | ".join(_fmt(by_shock.get(s, float("nan"))) for s in shocks)
            lines.append(f"| {label} | {_fmt(group['published'].iloc[0])} | {cells} |")
        lines.append("")
    return lines


def _quantity_summary(
    country: pd.DataFrame, shock_id: str, year: int, top: int, units: str
) -> list[str]:
    frame = country[(country["shock"] == shock_id) & (country["year"] == year)]
    if frame.empty:
        return ["(no quantity results)", ""]
    wide = frame.pivot(index="country", columns="measure", values="change")
    pct = frame.pivot(index="country", columns="measure", values="pct_change")
    exports = frame[frame["measure"] == "exports"].set_index("country")
    world = wide.sum()
    lines = [
        f"World change ({units}): gross output {_fmt(world['gross_output'])}, GDP "
        f"{_fmt(world['gdp'])}, gross exports {_fmt(world['exports'])}, value-added exports "
        f"{_fmt(world['vax'])}.",
        "",
        f"Most affected economies by change in gross exports (top {top}; RoW not ranked):",
        "",
        "| rank | country | Δ exports | Δ exports % | share of world Δ exports | direct | "
        "indirect | Δ GDP | Δ GDP % | Δ VAX |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    ranked = exports.dropna(subset=["rank_abs_change"]).sort_values("rank_abs_change").head(top)
    for code, row in ranked.iterrows():
        lines.append(
            f"| {int(row['rank_abs_change'])} | {code} | {_fmt(row['change'], 1)} | "
            f"{_fmt(row['pct_change'], 3)} | {_fmt(row['share_of_world_change'], 3)} | "
            f"{_fmt(row['direct'], 1)} | {_fmt(row['indirect'], 1)} | "
            f"{_fmt(wide.loc[code, 'gdp'], 1)} | {_fmt(pct.loc[code, 'gdp'], 3)} | "
            f"{_fmt(wide.loc[code, 'vax'], 1)} |"
        )
    lines.append("")
    return lines


def _dynamic_summary(
    tables: dict[str, pd.DataFrame], shock_id: str, year: int, top: int, units: str
) -> list[str]:
    country = tables.get("dynamic_country", pd.DataFrame())
    if country.empty:
        return ["(no dynamic results)", ""]
    frame = country[(country["shock"] == shock_id) & (country["year"] == year)]
    production = frame[frame["measure"] == "production"]
    unmet = frame[frame["measure"] == "final_demand_unmet"]
    loss = production.groupby("country")["change"].sum()
    lost_fd = unmet.groupby("country")["value"].sum()
    weeks = int(production["week"].max())
    world = production.groupby("week")[["base", "change"]].sum()
    trough = world["change"].idxmin()
    lines = [
        f"Weekly ARIO run over {weeks} weeks ({units}): world production lost over the run "
        f"{_fmt(loss.sum())}, final demand unmet {_fmt(lost_fd.sum())}; the deepest week is "
        f"week {trough} ({_fmt(100 * world.loc[trough, 'change'] / world.loc[trough, 'base'], 3)}"
        f"% of weekly world output). Chart: dynamic_{shock_id}_{year}.html.",
        "",
        f"Largest cumulative production losses (top {top}; RoW not ranked):",
        "",
        "| country | Δ production over the run | final demand unmet |",
        "|---|---:|---:|",
    ]
    ranked = loss.drop("ROW", errors="ignore").sort_values().head(top)
    for code, value in ranked.items():
        lines.append(f"| {code} | {_fmt(value, 1)} | {_fmt(lost_fd.get(code, 0.0), 1)} |")
    lines.append("")
    return lines


def _price_summary(prices: pd.DataFrame, shock_id: str, year: int, top: int) -> list[str]:
    frame = prices[(prices["shock"] == shock_id) & (prices["year"] == year)]
    if frame.empty:
        return ["(no price results)", ""]
    ranked = frame.dropna(subset=["rank_output_cost"]).sort_values("rank_output_cost").head(top)
    lines = [
        f"Largest cost increases (output-weighted cost index, top {top}; RoW not ranked):",
        "",
        "| rank | country | output cost % | final-goods price % | imported final goods % |",
        "|---:|---|---:|---:|---:|",
    ]
    for _, row in ranked.iterrows():
        lines.append(
            f"| {int(row['rank_output_cost'])} | {row['country']} | "
            f"{_fmt(100 * (row['output_cost_index'] - 1), 4)} | "
            f"{_fmt(100 * (row['final_goods_price_index'] - 1), 4)} | "
            f"{_fmt(100 * (row['imported_final_goods_price_index'] - 1), 4)} |"
        )
    lines.append("")
    return lines
