"""The day table of the hourly rollups (the 30-day and year charts' source), and every stored hour and
day recomputed from the readings (a day per statement, committed as it goes): it also rewrites the
rollups an earlier build of the backfill wrote with its figures cut to whole numbers. Running it again
changes nothing."""

from yam_agri_core.monitoring import rollups


def execute():
	rollups.ensure_daily_table()
	rollups.backfill()
