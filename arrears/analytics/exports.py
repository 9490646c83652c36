"""Tables (header + rows) of the KPI report and the dashboard, for the CLI, CSV and XLSX.

The writers are the ledger's (`arrears.ledger.exports`): Decimals stay exact, text that a
spreadsheet would run as a formula is quoted.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from arrears.analytics.selectors.kpis import KpiReport, display

Table = tuple[list[str], list[list[Any]]]


def _value(kpi: dict[str, Any]) -> Decimal | str:
    return Decimal(kpi["display"]) if kpi["display"] is not None and not kpi["flags"] else display(kpi)


def kpi_report_table(report: KpiReport) -> Table:
    """One row per KPI, one column per group (the total first)."""
    groups = list([report.total] if report.total else []) + list(report.groups)
    header = ["KPI", "Unit", *(g.label for g in groups)]
    names = list(groups[0].kpis) if groups else []
    rows = [[name, groups[0].kpis[name]["unit"], *(_value(g.kpis[name]) for g in groups)] for name in names]
    for figure in ("credit_sales", "ar_begin", "ar_end", "current_end", "past_due_end", "unapplied_end",
                   "cash_collected", "write_offs", "target"):
        rows.append([figure, report.currency, *(
            Decimal(g.figures[figure]) if g.figures.get(figure) is not None else "" for g in groups
        )])
    return header, rows


def kpi_report_long_table(report: KpiReport) -> Table:
    """One row per group and KPI: machine-friendly (value, display, reason, flags)."""
    header = ["Group key", "Group", "KPI", "Unit", "Value", "Display", "Reason", "Flags"]
    rows: list[list[Any]] = []
    for g in ([report.total] if report.total else []) + list(report.groups):
        for name, k in g.kpis.items():
            rows.append([
                "" if g.key is None else str(g.key), g.label, name, k["unit"], k["value"] or "",
                Decimal(k["display"]) if k["display"] is not None else "", k["reason"] or "", " ".join(k["flags"]),
            ])
    return header, rows
