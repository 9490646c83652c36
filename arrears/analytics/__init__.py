"""Analytics: KPIs, dashboards and forecasts (read-only).

The formulas live in the pure-Python package ``arrears.analytics.kpis`` (no Django imports),
so they can be tested against the worked examples of the KPI reference and fed from the ledger
by thin selectors.
"""
