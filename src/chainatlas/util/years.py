"""Year lists from the command line or the API: '2011', '1995-2011', '2000,2005,2010-2011'."""

from __future__ import annotations

from chainatlas.errors import ChainAtlasError

# Tables and trade data start in the 1950s; a wider span is a typo, and listing or expanding
# it (a range of two million years) would exhaust memory and fill the terminal.
MIN_YEAR = 1800
MAX_YEAR = 2200
_SHOWN = 12


def _listing(years: list[int]) -> str:
    """At most a dozen years, then a count of the rest."""
    shown = ", ".join(map(str, years[:_SHOWN]))
    return shown + (f" … ({len(years) - _SHOWN} more)" if len(years) > _SHOWN else "")


def _year(text: str, part: str) -> int:
    text = text.strip()
    if not text.isascii() or not text.lstrip("-").isdigit() or len(text) > 6:
        raise ChainAtlasError(f"bad year or range {part!r} (use 2011 or 1995-2011)")
    year = int(text)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ChainAtlasError(
            f"year {year} in {part!r} is outside {MIN_YEAR}-{MAX_YEAR} (use 2011 or 1995-2011)"
        )
    return year


def parse_years(text: str | None, available: list[int] | None = None) -> list[int]:
    """'2011', '1995-2011', '2000,2005,2010-2011' -> sorted list of years.

    ``None`` means every available year; an empty or blank string is refused (an empty
    ``--year ''`` is a mistake, not a request for everything).
    """
    if text is None:
        if available:
            return list(available)
        raise ChainAtlasError("give --year/--years (e.g. 2011 or 1995-2011)")
    if not str(text).strip():
        raise ChainAtlasError("--year/--years is empty; give e.g. 2011 or 1995-2011")
    if len(text) > 2000:
        raise ChainAtlasError(f"--year/--years is {len(text):,} characters long; give a range")
    years: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        if not part:
            raise ChainAtlasError(f"empty item in the year list {text[:80]!r}")
        if "-" in part.lstrip("-"):
            head = "-" if part.startswith("-") else ""
            start_text, end_text = part.lstrip("-").split("-", 1)
            start, end = _year(head + start_text, part), _year(end_text, part)
            if end < start:
                raise ChainAtlasError(f"bad year or range {part!r}: it ends before it starts")
            years.update(range(start, end + 1))
        else:
            years.add(_year(part, part))
    if available is not None:
        unknown = sorted(years - set(available))
        if unknown:
            raise ChainAtlasError(
                f"unknown year(s) {_listing(unknown)}; available: {_listing(sorted(available))}"
            )
    return sorted(years)
