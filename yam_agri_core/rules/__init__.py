"""Business rules of YAM Agri Core, as plain Python.

Nothing in this package imports frappe: every rule can be read and tested on its own, and the
DocType controllers call them as named steps. Messages users may see are marked with
:func:`yam_agri_core.rules.messages._` so that Frappe's translation extractor finds them; the
controllers translate them when they raise.
"""
