"""Column-mapping profiles: how a foreign file's columns become our fields.

A profile is JSON (shipped ones in `profiles/*.json`, edited ones in the `ImportProfile` table). It is
checked here once, into a frozen `ProfileSpec`, so the reader and the validator never see raw JSON.
This module does no I/O and knows nothing of the database.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from typing import Any

from arrears.imports.errors import ImportErrorCode, reject

# Our fields. `text` is stripped text; `date` a business date; `amount` an exact decimal in the row's
# currency; `choice` one of the listed values. Lengths follow the ledger's columns.
FIELD_TYPES: dict[str, tuple[str, int | None, tuple[str, ...] | None]] = {
    "customer.external_id": ("text", 64, None),
    "customer.name": ("text", 200, None),
    "customer.kind": ("choice", None, ("commercial", "consumer")),
    "customer.country": ("text", 2, None),
    "customer.segment": ("text", 64, None),
    "customer.language": ("text", 16, None),
    "document.external_id": ("text", 64, None),
    "document.kind": ("choice", None, ("invoice", "credit_note", "debit_note")),
    "document.issue_date": ("date", None, None),
    "document.due_date": ("date", None, None),
    "document.amount": ("amount", None, None),
    "document.currency": ("currency", None, None),
    "document.reference": ("text", 100, None),
    "payment.external_id": ("text", 64, None),
    "payment.date": ("date", None, None),
    "payment.amount": ("amount", None, None),
    "payment.method": ("text", 32, None),
    "payment.reference": ("text", 200, None),
}
REQUIRED = ("customer.external_id", "document.external_id", "document.issue_date", "document.due_date",
            "document.amount", "document.currency")
ATTRIBUTE_OWNERS = ("customer", "document")
FILE_FORMATS = ("csv", "xlsx")


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """Where one of our fields comes from: a file column (optionally mapped), a constant, or a template."""

    target: str
    column: str | None = None
    default: Any = None
    value_map: dict[str, Any] | None = None
    template: str | None = None
    date_formats: tuple[str, ...] = ()
    optional_column: bool = False

    def template_parts(self) -> list[tuple[str, str | None]]:
        """[(literal, field or None), ...] of the template."""
        return [(lit, name) for lit, name, _, _ in string.Formatter().parse(self.template or "")]


@dataclass(frozen=True, slots=True)
class BusinessUnitSpec:
    code: str
    name: str
    home_currency: str
    country: str
    timezone: str = "UTC"


@dataclass(frozen=True, slots=True)
class ProfileSpec:
    name: str
    label: str = ""
    description: str = ""
    delimiter: str = ","
    encoding: str = "utf-8"
    sheet: str | None = None
    date_formats: tuple[str, ...] = ("%Y-%m-%d",)
    decimal_separator: str = "."
    thousands_separator: str = ""
    business_unit: BusinessUnitSpec | None = None
    create_customers: bool = True
    update_customers: bool = True
    negative_amounts: str = "reject"  # or "credit_note": a negative invoice is a credit note
    fields: dict[str, FieldSpec] = field(default_factory=dict)
    attributes: dict[str, dict[str, FieldSpec]] = field(default_factory=dict)

    def maps(self, target: str) -> bool:
        return target in self.fields

    def source_label(self, target: str) -> str:
        """What to call a field in an error: the file's column when there is one."""
        spec = self.fields.get(target)
        return spec.column if spec is not None and spec.column else target

    def mapping_rows(self) -> list[tuple[str, str]]:
        """(file column or rule, our field) pairs, for showing a profile to people."""
        rows = []
        for target, spec in self.fields.items():
            rows.append((_describe(spec), target))
        for owner, attrs in self.attributes.items():
            for key, spec in attrs.items():
                rows.append((_describe(spec), f"{owner}.attributes.{key}"))
        return rows

    def columns(self) -> list[str]:
        cols = [s.column for s in self.fields.values() if s.column]
        cols += [s.column for a in self.attributes.values() for s in a.values() if s.column]
        return list(dict.fromkeys(cols))


def _describe(spec: FieldSpec) -> str:
    if spec.column:
        text = spec.column
        if spec.value_map:
            text += " (" + ", ".join(f"{k}→{v}" for k, v in spec.value_map.items()) + ")"
        if spec.default is not None:
            text += f" (empty → {spec.default})"
        return text
    if spec.template:
        return f"template {spec.template!r}"
    return f"constant {spec.default!r}"


def _bad(name: str, message: str):
    return reject(ImportErrorCode.BAD_PROFILE, f"profile {name!r}: {message}")


def _field_spec(name: str, target: str, raw: Any, *, known_targets: set[str] | None) -> FieldSpec:
    if isinstance(raw, str):
        return FieldSpec(target=target, column=raw)
    if not isinstance(raw, dict):
        raise _bad(name, f"{target}: expected a column name or an object, got {raw!r}")
    unknown = set(raw) - {"column", "default", "map", "template", "formats", "optional"}
    if unknown:
        raise _bad(name, f"{target}: unknown keys {sorted(unknown)}")
    column, template = raw.get("column"), raw.get("template")
    if not column and template is None and raw.get("default") is None:
        raise _bad(name, f"{target}: give a column, a default or a template")
    value_map = raw.get("map")
    if value_map is not None and (not isinstance(value_map, dict) or not column):
        raise _bad(name, f"{target}: 'map' must be an object and needs a column")
    spec = FieldSpec(
        target=target, column=column or None, default=raw.get("default"), value_map=value_map,
        template=template, date_formats=tuple(raw.get("formats") or ()), optional_column=bool(raw.get("optional")),
    )
    if template is not None:
        for _, ref in spec.template_parts():
            if ref is not None and known_targets is not None and ref not in known_targets:
                raise _bad(name, f"{target}: template refers to {ref!r}, which is not a mapped field")
    return spec


def profile_spec_from_config(name: str, config: Any) -> ProfileSpec:
    """Check a profile's JSON and turn it into a ProfileSpec; raise ImportRejected(BAD_PROFILE) when it is wrong."""
    if not isinstance(config, dict):
        raise _bad(name, "the profile must be a JSON object")
    fmt = config.get("format") or {}
    raw_fields = config.get("fields") or {}
    if not isinstance(raw_fields, dict):
        raise _bad(name, "'fields' must be an object")
    unknown = set(raw_fields) - set(FIELD_TYPES)
    if unknown:
        raise _bad(name, f"unknown fields {sorted(unknown)}; ours are {sorted(FIELD_TYPES)}")
    known = set(raw_fields)
    fields = {t: _field_spec(name, t, raw, known_targets=known) for t, raw in raw_fields.items()}
    missing = [t for t in REQUIRED if t not in fields]
    if missing:
        raise _bad(name, f"required fields not mapped: {', '.join(missing)}")
    for target, spec in fields.items():
        if spec.template is not None and FIELD_TYPES[target][0] != "text":
            raise _bad(name, f"{target}: templates only make text fields")
    attributes: dict[str, dict[str, FieldSpec]] = {}
    for owner, attrs in (config.get("attributes") or {}).items():
        if owner not in ATTRIBUTE_OWNERS or not isinstance(attrs, dict):
            raise _bad(name, f"attributes: owner must be one of {ATTRIBUTE_OWNERS}")
        attributes[owner] = {
            key: _field_spec(name, f"{owner}.attributes.{key}", raw, known_targets=None) for key, raw in attrs.items()
        }
    bu_raw = config.get("business_unit")
    business_unit = None
    if bu_raw:
        try:
            business_unit = BusinessUnitSpec(
                code=str(bu_raw["code"]), name=str(bu_raw.get("name") or bu_raw["code"]),
                home_currency=str(bu_raw["home_currency"]).upper(), country=str(bu_raw.get("country", ""))[:2].upper(),
                timezone=str(bu_raw.get("timezone") or "UTC"),
            )
        except KeyError as exc:
            raise _bad(name, f"business_unit needs {exc.args[0]!r}") from exc
    negative = config.get("negative_amounts", "reject")
    if negative not in {"reject", "credit_note"}:
        raise _bad(name, "negative_amounts must be 'reject' or 'credit_note'")
    date_formats = fmt.get("date_formats") or ["%Y-%m-%d"]
    delimiter = fmt.get("delimiter", ",")
    if not isinstance(delimiter, str) or len(delimiter) != 1:
        raise _bad(name, "format.delimiter must be one character")
    return ProfileSpec(
        name=name,
        label=str(config.get("label") or name),
        description=str(config.get("description") or ""),
        delimiter=delimiter,
        encoding=str(fmt.get("encoding") or "utf-8"),
        sheet=fmt.get("sheet"),
        date_formats=tuple(date_formats),
        decimal_separator=str(fmt.get("decimal_separator") or "."),
        thousands_separator=str(fmt.get("thousands_separator") or ""),
        business_unit=business_unit,
        create_customers=bool(config.get("create_customers", True)),
        update_customers=bool(config.get("update_customers", config.get("create_customers", True))),
        negative_amounts=negative,
        fields=fields,
        attributes=attributes,
    )
