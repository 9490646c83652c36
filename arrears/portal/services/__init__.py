"""Every write the portal makes (tokens.py, actions.py, payments.py, sepa.py)."""
