"""Year lists from the command line or the API: '2011', '1995-2011', '2000,2005,2010-2011'."""

from __future__ import annotations

from chainatlas.errors import ChainAtlasError


def parse_years(text: str | None, available: list[int] | None = None) -> list[int]:
    """'2011', '1995-2011', '2000,2005,2010-2011' -> sorted list of years."""
    if text is None or text == "":
        if available:
            return list(available)
        raise ChainAtlasError("give --year/--years (e.g. 2011 or 1995-2011)")
    years: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        try:
            if "-" in part:
                start, end = (int(p) for p in part.split("-", 1))
                if end < start:
                    raise ValueError
                years.update(range(start, end + 1))
            else:
                years.add(int(part))
        except ValueError:
            raise ChainAtlasError(f"bad year or range {part!r} (use 2011 or 1995-2011)") from None
    if available is not None:
        unknown = sorted(years - set(available))
        if unknown:
            raise ChainAtlasError(
                f"unknown year(s) {', '.join(map(str, unknown))}; available: "
                f"{', '.join(map(str, available))}"
            )
    return sorted(years)
