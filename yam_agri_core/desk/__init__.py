"""The Desk's number cards and chart sources: Frappe glue over ``rules/dashboards.py``."""
