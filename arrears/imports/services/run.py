"""One import run: read, check everything, then write everything in one transaction, or nothing.

The ImportRun row is written outside that transaction, so a rejected file still leaves its record
(with every error) while the ledger is untouched.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from typing import Any

from django.db import DatabaseError, transaction

from arrears.audit.context import acting_as
from arrears.audit.services import audit_record, snapshot
from arrears.common.clock import now
from arrears.imports.errors import ImportErrorCode, ImportIssue, ImportRejected, reject
from arrears.imports.models import ImportRun, ImportRunStatus
from arrears.imports.selectors import import_profile_get
from arrears.imports.services.parse import HAS_PAYMENT, Parsed, parse_table
from arrears.imports.services.plan import from_milli, plan_import
from arrears.imports.services.reader import ROW, read_table
from arrears.imports.services.writer import Progress, write_plan
from arrears.imports.spec import ProfileSpec
from arrears.ledger.models import BusinessUnit

logger = logging.getLogger(__name__)
KINDS = ("customers", "documents", "payments")
PREVIEW_ROWS = 10


@dataclass
class ImportOutcome:
    run: ImportRun
    mapping: list[tuple[str, str]] = field(default_factory=list)
    preview: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.run.status == ImportRunStatus.OK


def empty_counts() -> dict[str, dict[str, int]]:
    return {k: {"created": 0, "updated": 0, "unchanged": 0} for k in KINDS}


def import_result_json(run: ImportRun) -> dict[str, Any]:
    """The document the CLI prints and the API returns."""
    return {
        "run": run.pk,
        "file": run.file_name,
        "sha256": run.sha256,
        "profile": run.profile,
        "business_unit": run.business_unit_code or None,
        "dry_run": run.dry_run,
        "status": "ok" if run.status == ImportRunStatus.OK else "rejected",
        "rows": run.rows,
        "counts": run.counts or empty_counts(),
        "errors": run.errors,
        "error_count": run.error_count,
    }


def _business_unit(spec: ProfileSpec, code: str | None, *, dry_run: bool) -> tuple[BusinessUnit | None, str]:
    """The unit to import into (None in a dry run when it would be created), and its code."""
    wanted = code or (spec.business_unit.code if spec.business_unit else None)
    if wanted is None:
        units = list(BusinessUnit.objects.all()[:2])
        if len(units) == 1:
            return units[0], units[0].code
        raise reject(
            ImportErrorCode.UNKNOWN_BUSINESS_UNIT,
            f"profile {spec.name!r} names no business unit: choose one (--business-unit CODE)",
        )
    bu = BusinessUnit.objects.filter(code=wanted).first()
    if bu is not None:
        return bu, wanted
    if spec.business_unit is None or spec.business_unit.code != wanted:
        raise reject(ImportErrorCode.UNKNOWN_BUSINESS_UNIT, f"there is no business unit {wanted!r}")
    if dry_run:
        return None, wanted
    b = spec.business_unit
    bu = BusinessUnit.objects.create(code=b.code, name=b.name, home_currency=b.home_currency, country=b.country,
                                     timezone=b.timezone)
    audit_record(action="create", obj=bu, after=snapshot(bu), note=f"import profile {spec.name}")
    return bu, wanted


def _preview(parsed: Parsed) -> list[dict[str, Any]]:
    rows = []
    for rec in parsed.frame.head(PREVIEW_ROWS).iter_rows(named=True):
        out: dict[str, Any] = {"row": rec[ROW]}
        for key, value in rec.items():
            if key in (ROW, HAS_PAYMENT) or value is None:
                continue
            out[key] = from_milli(value) if key.endswith(".amount") else value
        rows.append(out)
    return rows


def import_run_execute(
    *,
    data: bytes,
    file_name: str,
    profile_name: str,
    user: Any = None,
    dry_run: bool = False,
    business_unit_code: str | None = None,
    progress: Progress | None = None,
    stored_file: str = "",
) -> ImportOutcome:
    """Import one file with one profile. Never raises for a bad file: the run says `rejected` and why."""
    run = ImportRun.objects.create(
        file_name=file_name[:255], sha256=hashlib.sha256(data).hexdigest(), size=len(data), profile=profile_name[:64],
        user=user if getattr(user, "is_authenticated", False) else None, dry_run=dry_run, started_at=now(),
        business_unit_code=business_unit_code or "", stored_file=stored_file,
    )
    outcome = ImportOutcome(run=run)
    report = progress or (lambda stage, done, total: None)
    with acting_as(user if getattr(user, "is_authenticated", False) else None,
                   None if getattr(user, "is_authenticated", False) else "import"):
        try:
            spec = import_profile_get(name=profile_name)
            outcome.mapping = spec.mapping_rows()
            report("read", 0, 1)
            table = read_table(data, file_name=file_name, spec=spec)
            run.rows = table.height
            report("check", 0, table.height)
            parsed = parse_table(table, spec)
            outcome.preview = _preview(parsed)
            with transaction.atomic():
                bu, run.business_unit_code = _business_unit(spec, business_unit_code, dry_run=dry_run)
                report("plan", 0, table.height)
                plan, log = plan_import(parsed=parsed, spec=spec, bu=bu)
                log.raise_if_any()
                run.counts = plan.counts
                report("check", table.height, table.height)
                if not dry_run:
                    assert bu is not None
                    write_plan(plan=plan, bu=bu, progress=report)
                    report("audit", 0, 1)
                    audit_record(
                        action="import", obj=run, object_type="imports.importrun", object_id=run.pk,
                        after={"profile": profile_name, "business_unit": bu.code, "rows": run.rows, "counts": plan.counts},
                        note=f"{file_name} sha256={run.sha256}",
                    )
            run.status = ImportRunStatus.OK
        except ImportRejected as exc:
            run.status = ImportRunStatus.REJECTED
            run.counts = empty_counts()
            run.errors = [i.as_dict() for i in exc.issues]
            run.error_count = exc.total
        except DatabaseError as exc:
            logger.exception("import run %s failed while writing", run.pk)
            run.status = ImportRunStatus.FAILED
            run.counts = empty_counts()
            issue = ImportIssue(row=None, column=None, code=ImportErrorCode.WRITE_FAILED,
                                message=f"the database refused the import, nothing was written: {exc}")
            run.errors, run.error_count = [issue.as_dict()], 1
    run.finished_at = now()
    run.save(update_fields=["status", "rows", "counts", "errors", "error_count", "finished_at", "business_unit_code",
                            "updated_at"])
    return outcome
