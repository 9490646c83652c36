"""Reads: profiles (database first, then the shipped JSON files) and import runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.db.models import QuerySet

from arrears.imports.errors import ImportErrorCode, reject
from arrears.imports.models import ImportProfile, ImportRun
from arrears.imports.spec import ProfileSpec, profile_spec_from_config

PROFILE_DIR = Path(__file__).resolve().parent / "profiles"


def _shipped_profiles() -> dict[str, Path]:
    return {p.stem: p for p in sorted(PROFILE_DIR.glob("*.json"))}


def import_profile_names() -> list[str]:
    names = set(_shipped_profiles()) | set(ImportProfile.objects.values_list("name", flat=True))
    return sorted(names)


def import_profile_config(*, name: str) -> tuple[dict[str, Any], str]:
    """The raw JSON of a profile and where it came from ("database" or "file")."""
    row = ImportProfile.objects.filter(name=name).values_list("config", flat=True).first()
    if row is not None:
        return row, "database"
    path = _shipped_profiles().get(name)
    if path is None:
        raise reject(
            ImportErrorCode.UNKNOWN_PROFILE,
            f"unknown profile {name!r}; known profiles: {', '.join(import_profile_names()) or 'none'}",
        )
    try:
        return json.loads(path.read_text(encoding="utf-8")), "file"
    except json.JSONDecodeError as exc:
        raise reject(ImportErrorCode.BAD_PROFILE, f"profile file {path.name} is not valid JSON: {exc}") from exc


def import_profile_get(*, name: str) -> ProfileSpec:
    """The checked profile of that name; the database one wins over the shipped file."""
    config, _ = import_profile_config(name=name)
    return profile_spec_from_config(name, config)


def import_profile_list() -> list[dict[str, Any]]:
    """Every profile with where it comes from and its mapping; broken ones say why."""
    out = []
    for name in import_profile_names():
        config, source = import_profile_config(name=name)
        item: dict[str, Any] = {"name": name, "source": source, "label": name, "description": "", "mapping": []}
        try:
            spec = profile_spec_from_config(name, config)
        except Exception as exc:  # a broken profile is listed with its problem, not hidden
            item["error"] = str(exc)
        else:
            item.update(
                label=spec.label, description=spec.description,
                business_unit=spec.business_unit.code if spec.business_unit else None,
                mapping=[{"source": s, "field": f} for s, f in spec.mapping_rows()],
            )
        out.append(item)
    return out


def import_run_list(*, user: Any = None) -> QuerySet[ImportRun]:
    return ImportRun.objects.select_related("user")


def import_run_get(*, pk: int) -> ImportRun:
    return ImportRun.objects.select_related("user").get(pk=pk)
