"""Sites installed before the ticket number guard get its generated column and unique index."""

from yam_agri_core.traceability.doctype.scale_ticket.scale_ticket import add_ticket_no_guard


def execute():
	add_ticket_no_guard()
