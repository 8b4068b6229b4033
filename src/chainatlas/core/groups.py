"""Country groups as versioned configuration (METHODS §8).

Groups (NEA, ASEAN-9/10, RCEP, EU27/EU28/EU by date, USMCA/NAFTA, BRICS, the G3 hubs) ship in
``chainatlas/data/groups.toml``; users add or override groups from a TOML file or a dict in
the same format. Resolving a group against a table's country list says which configured
members the table has (``present``, in table order) and which it lacks (``missing``) — every
indicator result carries ``missing`` so a group is never silently shrunk. RoW is never a
member (rule 4 of §8).

    >>> g = resolve_group("ASEAN-9", model.countries, year=2011)
    >>> g.present, g.missing      # WIOD 2013: ('IDN',), ('BRN', 'KHM', ...)

A name that is not a configured group but is a country code of the table resolves to a
one-member group, so callers can mix groups and countries (``NEA,IND,MEX``).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chainatlas.errors import ChainAtlasError, ValidationError

ROW_CODES = frozenset({"ROW", "RoW", "row"})
_ISO3 = re.compile(r"^[A-Z]{3}$")
DEFAULT_CONFIG = "groups.toml"


@dataclass(frozen=True)
class GroupVersion:
    """Membership valid from ``valid_from`` (inclusive) to ``valid_to`` (exclusive)."""

    members: tuple[str, ...]
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    label: str = ""

    def covers(self, date: dt.date) -> bool:
        if self.valid_from is not None and date < self.valid_from:
            return False
        return not (self.valid_to is not None and date >= self.valid_to)


@dataclass(frozen=True)
class GroupDefinition:
    name: str
    versions: tuple[GroupVersion, ...]
    description: str = ""
    aliases: tuple[str, ...] = ()
    origin: str = "chainatlas default"

    def version_at(self, date: dt.date | None) -> GroupVersion:
        """The membership at ``date``; ``None`` means the latest version."""
        if date is None:
            return max(self.versions, key=lambda v: v.valid_from or dt.date.min)
        for version in self.versions:
            if version.covers(date):
                return version
        ranges = ", ".join(f"{v.valid_from or '…'} to {v.valid_to or '…'}" for v in self.versions)
        raise ChainAtlasError(
            f"group {self.name!r} has no membership valid on {date} (defined for {ranges})",
            location=f"group {self.name}",
        )


@dataclass(frozen=True)
class ResolvedGroup:
    """A group matched against one table's countries.

    ``members``: all configured ISO3 members valid at the date; ``present``: members found in
    the table (table order; RoW never); ``missing``: configured members the table lacks.
    """

    name: str
    members: tuple[str, ...]
    present: tuple[str, ...]
    missing: tuple[str, ...]
    version: str = ""
    description: str = ""
    year: int | None = None

    @property
    def is_complete(self) -> bool:
        return not self.missing

    def note(self) -> str:
        """One line for output metadata, e.g. 'ASEAN-9: present IDN; missing BRN, KHM, …'."""
        present = ", ".join(self.present) or "none"
        text = f"{self.name}: present {present}"
        if self.missing:
            text += f"; missing {', '.join(self.missing)}"
        return text

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "members": list(self.members),
            "present": list(self.present),
            "missing": list(self.missing),
            "version": self.version,
            "year": self.year,
        }


def _parse_date(value: Any, where: str) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise ValidationError(f"not an ISO date (YYYY-MM-DD): {value!r}", location=where) from exc


def _parse_members(value: Any, where: str, path: str | None) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ValidationError("'members' must be a list of ISO3 codes", path=path, location=where)
    members: list[str] = []
    for code in value:
        text = str(code).strip()
        if text in ROW_CODES or text.upper() == "ROW":
            raise ValidationError(
                "RoW can never be a group member (METHODS §8 rule 4)", path=path, location=where
            )
        if not _ISO3.match(text.upper()):
            raise ValidationError(
                f"member {code!r} is not an ISO3 country code", path=path, location=where
            )
        if text.upper() not in members:
            members.append(text.upper())
    if not members:
        raise ValidationError("group has no members", path=path, location=where)
    return tuple(members)


def _parse_group(name: str, spec: Any, path: str | None, origin: str) -> GroupDefinition:
    where = f"group {name}"
    if isinstance(spec, (list, tuple)):  # shorthand in dicts: {"MYGROUP": ["CHN", "JPN"]}
        spec = {"members": spec}
    if not isinstance(spec, Mapping):
        raise ValidationError("a group must be a table with 'members'", path=path, location=where)
    unknown = set(spec) - {
        "members",
        "versions",
        "description",
        "aliases",
        "valid_from",
        "valid_to",
        "label",
    }
    if unknown:
        raise ValidationError(
            f"unknown key(s) {sorted(unknown)}; expected members/versions/description/aliases",
            path=path,
            location=where,
        )
    if ("members" in spec) == ("versions" in spec):
        raise ValidationError(
            "give exactly one of 'members' or 'versions'", path=path, location=where
        )
    raw_versions = spec.get("versions", [spec])
    versions = []
    for index, raw in enumerate(raw_versions):
        vwhere = f"{where} version {index + 1}" if "versions" in spec else where
        if not isinstance(raw, Mapping) or "members" not in raw:
            raise ValidationError("each version needs 'members'", path=path, location=vwhere)
        version = GroupVersion(
            members=_parse_members(raw["members"], vwhere, path),
            valid_from=_parse_date(raw.get("valid_from"), vwhere),
            valid_to=_parse_date(raw.get("valid_to"), vwhere),
            label=str(raw.get("label", "")),
        )
        if version.valid_from and version.valid_to and version.valid_from >= version.valid_to:
            raise ValidationError("valid_from must precede valid_to", path=path, location=vwhere)
        versions.append(version)
    ordered = sorted(versions, key=lambda v: v.valid_from or dt.date.min)
    for before, after in itertools.pairwise(ordered):
        if before.valid_to is None or (after.valid_from and before.valid_to > after.valid_from):
            raise ValidationError("versions overlap in time", path=path, location=where)
    aliases = spec.get("aliases", [])
    if isinstance(aliases, str):
        aliases = [aliases]
    return GroupDefinition(
        name=name,
        versions=tuple(ordered),
        description=str(spec.get("description", "")),
        aliases=tuple(str(a) for a in aliases),
        origin=origin,
    )


def _key(name: str) -> str:
    return name.strip().upper().replace("_", "-").replace(" ", "-")


class GroupRegistry:
    """A set of group definitions, looked up by name or alias (case-insensitive)."""

    def __init__(self, definitions: Iterable[GroupDefinition] = (), version: str = ""):
        self._groups: dict[str, GroupDefinition] = {}
        self._lookup: dict[str, str] = {}
        self.version = version
        for definition in definitions:
            self.add(definition)

    def add(self, definition: GroupDefinition) -> None:
        """Add or replace a definition (a replaced group's aliases go with it)."""
        old = self._groups.pop(definition.name, None)
        if old is not None:
            for alias in old.aliases:
                self._lookup.pop(_key(alias), None)
        self._groups[definition.name] = definition
        for alias in definition.aliases:
            self._lookup[_key(alias)] = definition.name
        self._lookup[_key(definition.name)] = definition.name

    def merged(self, other: GroupRegistry) -> GroupRegistry:
        """A new registry: self's groups, replaced/extended by ``other``'s."""
        result = GroupRegistry(self._groups.values(), version=self.version)
        for definition in other._groups.values():
            result.add(definition)
        return result

    def names(self) -> list[str]:
        return list(self._groups)

    def get(self, name: str) -> GroupDefinition | None:
        canonical = self._lookup.get(_key(name))
        return self._groups.get(canonical) if canonical else None

    def __contains__(self, name: str) -> bool:
        return self.get(name) is not None

    def resolve(
        self,
        name: str,
        countries: Sequence[str],
        year: int | None = None,
        date: dt.date | None = None,
    ) -> ResolvedGroup:
        """Match group ``name`` against a table's ``countries`` (year → membership on 1 July)."""
        table = [str(c) for c in countries]
        when = date if date is not None else (dt.date(year, 7, 1) if year is not None else None)
        definition = self.get(name)
        if definition is None:
            code = name.strip().upper()
            if code in table and code not in ROW_CODES and code != "ROW":
                return ResolvedGroup(code, (code,), (code,), (), "country", code, year)
            if code == "ROW":
                raise ChainAtlasError(
                    "RoW cannot be used as a group (METHODS §8 rule 4)", location=f"group {name}"
                )
            if _ISO3.match(code):
                raise ChainAtlasError(
                    f"{code} is neither a configured group nor a country of this table "
                    f"({len(table)} countries: {', '.join(table[:8])}, …)",
                    location=f"group {name}",
                )
            raise ChainAtlasError(
                f"unknown group or country {name!r}; known groups: {', '.join(self.names())}",
                location=f"group {name}",
            )
        version = definition.version_at(when)
        in_table = set(table)
        present = tuple(c for c in table if c in version.members and c != "ROW")
        missing = tuple(c for c in version.members if c not in in_table)
        return ResolvedGroup(
            name=definition.name,
            members=version.members,
            present=present,
            missing=missing,
            # a user's group says where it came from, not the shipped configuration's version
            version=version.label
            or (
                (self.version or "default")
                if definition.origin == "chainatlas default"
                else f"user: {Path(definition.origin).name}"
            ),
            description=definition.description,
            year=year,
        )


def _definitions_from_mapping(
    data: Mapping[str, Any], path: str | None, origin: str
) -> list[GroupDefinition]:
    groups = data.get("groups", data) if isinstance(data, Mapping) else None
    if not isinstance(groups, Mapping):
        raise ValidationError("expected a [groups] table", path=path)
    skip = {"schema_version", "config_version"}
    return [
        _parse_group(str(name), spec, path, origin)
        for name, spec in groups.items()
        if name not in skip
    ]


def load_groups(source: str | Path | Mapping[str, Any]) -> GroupRegistry:
    """Groups from a TOML file or a dict ({'groups': {NAME: {...}}} or {NAME: [ISO3, ...]})."""
    if isinstance(source, Mapping):
        return GroupRegistry(_definitions_from_mapping(source, None, "user dict"), "user")
    path = Path(source)
    if not path.is_file():
        from chainatlas.errors import DataNotFoundError

        raise DataNotFoundError("group file not found", path=str(path))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError(f"not valid TOML: {exc}", path=str(path)) from exc
    version = str(data.get("config_version", "user"))
    return GroupRegistry(_definitions_from_mapping(data, str(path), str(path)), version)


_DEFAULT: GroupRegistry | None = None


def default_registry() -> GroupRegistry:
    """The groups shipped with chainatlas (parsed once)."""
    global _DEFAULT
    if _DEFAULT is None:
        from chainatlas.data import path_of

        text = path_of(DEFAULT_CONFIG).read_text(encoding="utf-8")
        data = tomllib.loads(text)
        _DEFAULT = GroupRegistry(
            _definitions_from_mapping(data, DEFAULT_CONFIG, "chainatlas default"),
            str(data.get("config_version", "")),
        )
    return _DEFAULT


GroupSource = str | Path | Mapping[str, Any] | GroupRegistry | None


def registry_with(user_groups: GroupSource = None) -> GroupRegistry:
    """The default registry extended/overridden by ``user_groups`` (file, dict or registry)."""
    if user_groups is None:
        return default_registry()
    extra = user_groups if isinstance(user_groups, GroupRegistry) else load_groups(user_groups)
    return default_registry().merged(extra)


def resolve_group(
    name: str,
    countries: Sequence[str],
    year: int | None = None,
    *,
    user_groups: GroupSource = None,
    date: dt.date | None = None,
) -> ResolvedGroup:
    """Resolve a group (or a single country code) against a table's country list."""
    return registry_with(user_groups).resolve(name, countries, year=year, date=date)


def resolve_groups(
    names: Iterable[str],
    countries: Sequence[str],
    year: int | None = None,
    *,
    user_groups: GroupSource = None,
) -> list[ResolvedGroup]:
    registry = registry_with(user_groups)
    return [registry.resolve(n, countries, year=year) for n in names]


def list_groups(user_groups: GroupSource = None) -> list[dict[str, Any]]:
    """One dict per group: name, description, aliases, and each version's dates and members."""
    registry = registry_with(user_groups)
    rows = []
    for name in registry.names():
        definition = registry.get(name)
        assert definition is not None
        rows.append(
            {
                "name": name,
                "description": definition.description,
                "aliases": list(definition.aliases),
                "origin": definition.origin,
                "versions": [
                    {
                        "label": v.label,
                        "valid_from": v.valid_from.isoformat() if v.valid_from else None,
                        "valid_to": v.valid_to.isoformat() if v.valid_to else None,
                        "members": list(v.members),
                    }
                    for v in definition.versions
                ],
            }
        )
    return rows


def missing_members_note(groups: Iterable[ResolvedGroup]) -> dict[str, list[str]]:
    """{group name: missing members} for output metadata (attrs['missing_members'])."""
    return {g.name: list(g.missing) for g in groups}


__all__ = [
    "GroupDefinition",
    "GroupRegistry",
    "GroupVersion",
    "ResolvedGroup",
    "default_registry",
    "list_groups",
    "load_groups",
    "missing_members_note",
    "registry_with",
    "resolve_group",
    "resolve_groups",
]
