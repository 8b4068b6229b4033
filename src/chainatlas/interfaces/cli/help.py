"""Help texts of the CLI: one example per command, the list of table sources on the top-level
help, no pointers to a specification the reader does not have, and flags shown as flags
(``--wide``, not ``--wide <bool>``)."""

from __future__ import annotations

import inspect
import re
from typing import TYPE_CHECKING

import typer
from typer.core import TyperGroup

if TYPE_CHECKING:  # annotations only: typer vendors its own click, importing both costs 9 ms
    import click

W = "--source wiod2013 --path ../shared/data/wiod2013"
SCENARIO = "examples/scenarios/china_intermediates_minus2.toml"
EXAMPLES: dict[str, str] = {
    "decompose": f"chainatlas decompose {W} --year 2011 --method wwz --level bilateral "
    "--out wwz_2011.xlsx",
    "fetch": "chainatlas fetch wiod2013 --years 2010-2011",
    "indicators": f"chainatlas indicators {W} --years 1995-2011 "
    "--set participation,length --groups NEA,ASEAN-9 --out results/",
    "report": f"chainatlas report {W} --years 1995-2011 --focus CHN --lang zh "
    "--out report.html --pdf report.pdf --charts-dir charts/",
    "profile": f"chainatlas profile {W} --years 1995-2011 --focus CHN --lang zh "
    "--out chn.html --pdf chn.pdf",
    "serve": "chainatlas serve --results out/results",
    "demo": "chainatlas demo --shared ../shared --out out",
    "vulnerability": "chainatlas vulnerability --db trade.duckdb --importer CHN "
    "--years 2017-2018 --out vuln/",
    "interdependence": "chainatlas interdependence --input cn_us_series.csv --out interdep/",
    "scenario run": f"chainatlas scenario run {SCENARIO} --out scenario/",
    "scenario check": f"chainatlas scenario check {SCENARIO}",
    "tables linkage-study": f"chainatlas tables linkage-study {W} --years 2007-2011 --out tables/",
    "tables participation-study": f"chainatlas tables participation-study {W} "
    "--years 1995-2011 --out tables/",
    "trade load": "chainatlas trade load --source baci --path BACI_HS12_Y2017_V202301.csv "
    "--db trade.duckdb",
    "trade info": "chainatlas trade info --db trade.duckdb",
    "trade convert": "chainatlas trade convert --db trade.duckdb --from HS12 --to HS92",
    "trade topk": "chainatlas trade topk --db trade.duckdb --years 2017-2018 --k 3 --out topk/",
    "trade eu-screen": "chainatlas trade eu-screen --db trade.duckdb --importer EU27 --year 2019 "
    "--out eu/",
    "trade supply-risk": "chainatlas trade supply-risk --db trade.duckdb --importer CHN "
    "--distances distances.csv --out risk/",
    "trade end-use": "chainatlas trade end-use --db trade.duckdb --exporter CHN --importer VNM "
    "--out end_use/",
}
# "(METHODS §10.2)", "(§5)", "METHODS §8 rule 4": pointers to a spec readers do not have
_SPEC_POINTER = re.compile(r"\s*\((?:see )?(?:METHODS )?§[^)]*\)|METHODS §[\d.–-]+[^,;.)]*")


def clean(text: str) -> str:
    return _SPEC_POINTER.sub("", text).strip()


def _help_of(info: object) -> str:
    text = getattr(info, "help", None) or inspect.getdoc(getattr(info, "callback", None)) or ""
    return clean(text)


def _with_example(info: object, key: str) -> None:
    text = _help_of(info)
    example = EXAMPLES.get(key)
    if example and "Example:" not in text:
        # \b keeps click from re-wrapping the example line
        text = f"{text}\n\n\b\nExample:\n  {example}"
    info.help = text  # type: ignore[attr-defined]


def _flags_without_placeholder() -> None:
    """Flags take no value: show none (typer's rich help prints <bool> otherwise)."""
    from typer.core import TyperOption

    original = getattr(TyperOption, "display_type_rich", None)
    if original is None or getattr(original, "_chainatlas", False):
        return  # typer < 0.29 (pinned for start-up time) prints no <bool> placeholder itself

    def display_type_rich(self: TyperOption, ctx: object) -> str | None:
        if self.is_flag or self.count:
            return None
        return original(self, ctx)  # type: ignore[arg-type]

    display_type_rich._chainatlas = True  # type: ignore[attr-defined]
    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]


def _source_list() -> str:
    # from a packaged summary table: importing every loader for --help costs ~1.2 s
    return "\n".join(f"  {name:<17} {text}" for name, text in sorted(source_summaries().items()))


def source_summaries() -> dict[str, str]:
    """Source name -> one-line description (data/source_summaries.toml)."""
    import tomllib
    from pathlib import Path

    import chainatlas.data

    path = Path(chainatlas.data.__file__).with_name("source_summaries.toml")
    return tomllib.loads(path.read_text("utf-8"))


class _GroupWithSources(TyperGroup):
    """The top-level group: its help ends with the table sources, looked up (importing the
    loaders) only when the help is shown."""

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        if "Table sources" not in (self.help or ""):
            self.help = f"{self.help}\n\n\b\nTable sources (--source):\n{_source_list()}"
        super().format_help(ctx, formatter)


def apply(app: typer.Typer) -> None:
    """Examples on every command, spec pointers removed, flags shown bare; the table sources
    on the top-level help (listed only when help is asked for, so start-up stays fast)."""
    _flags_without_placeholder()
    for info in app.registered_commands:
        _with_example(info, info.name or getattr(info.callback, "__name__", ""))
    for group in app.registered_groups:
        sub = group.typer_instance
        if sub is None:
            continue
        for info in sub.registered_commands:
            _with_example(info, f"{group.name} {info.name}")
    app.info.help = clean(app.info.help or "")
    app.info.cls = _GroupWithSources
