"""Hourly rollups (Observation Hourly) of the readings stored before the ingest kept them: the unique
index first (synced DocTypes get it from ``on_doctype_update``), then every stored hour recomputed
from the readings, a day per statement, committed day by day. Running it again changes nothing."""

from yam_agri_core.monitoring import rollups
from yam_agri_core.monitoring.doctype.observation_hourly import observation_hourly


def execute():
	observation_hourly.on_doctype_update()
	rollups.backfill()
