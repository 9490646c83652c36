"""Reads of the analytics app: KPI inputs from the ledger and the apps around it, the KPI report,
history (snapshots) and the dashboard's figures. See docs/analytics.md."""

from arrears.analytics.selectors.fx import FxTable
from arrears.analytics.selectors.kpis import KpiReport, kpi_report
from arrears.analytics.selectors.ledger import (
    GROUPINGS,
    Scope,
    balances_at,
    balances_from_snapshots,
    balances_live,
)

__all__ = [
    "GROUPINGS",
    "FxTable",
    "KpiReport",
    "Scope",
    "balances_at",
    "balances_from_snapshots",
    "balances_live",
    "kpi_report",
]
