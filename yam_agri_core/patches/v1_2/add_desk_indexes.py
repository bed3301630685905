"""The indexes the Desk reads by: Lot Stock and the grain-on-hand card and chart (Lot), the Bin
Temperature chart (Observation). ``on_doctype_update`` adds them when a DocType is synced; a site whose
DocTypes did not change since gets them here. Adding an index that exists is a no-op."""

from yam_agri_core.monitoring.doctype.observation import observation
from yam_agri_core.traceability.doctype.lot import lot


def execute():
	lot.on_doctype_update()
	observation.on_doctype_update()
