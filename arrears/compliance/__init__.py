"""Compliance gate: every planned contact passes `arrears.compliance.rules.evaluate` before it happens."""
