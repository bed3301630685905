"""The data the print formats show, shaped for their templates (plain Python, no Frappe).

The Jinja helpers of ``yam_agri_core.printing`` read the records (through the user's permissions) and
hand them here: the templates only lay out what these functions return and translate the labels.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence

from yam_agri_core.rules.capa import CLOSED, STATUSES
from yam_agri_core.rules.qc import FAIL, PASS
from yam_agri_core.rules.weighing import format_kg

#: Languages written right to left (Frappe's own list, ``frappe.utils.jinja_globals.is_rtl``, and Urdu).
RTL_LANGUAGES = frozenset({"ar", "he", "fa", "ps", "ur"})

#: Weighing verdicts on a slip.
MISMATCH, WITHIN_TOLERANCE, NOT_COMPARED = "mismatch", "within", "not_compared"
#: A lot's quality verdict on its certificate.
ALL_PASSED, SOME_FAILED, NOT_ASSESSED, NO_TESTS = "passed", "failed", "not_assessed", "none"
#: The time line of a nonconformance.
CLOSED_ON_TIME, CLOSED_LATE, OVERDUE, ON_TRACK, NO_DUE_DATE = (
	"closed_on_time",
	"closed_late",
	"overdue",
	"on_track",
	"no_due_date",
)
CERTIFICATE_ORDER = ("Active", "Expiring Soon", "Expired", "Revoked")


def text_direction(lang: str | None) -> str:
	"""``rtl`` for a right-to-left print language (``ar``, ``ar-YE``...), ``ltr`` otherwise."""
	return "rtl" if (lang or "").split("-")[0].split("_")[0].lower() in RTL_LANGUAGES else "ltr"


_RTL = "\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff"
_TOKEN = re.compile(rf"\s+|[{_RTL}]+|[^\s{_RTL}]+")
_LTR_CHAR = re.compile(r"[0-9A-Za-z\u00C0-\u024F]")


def bidi_runs(text: str | None) -> list[tuple[str, str]]:
	"""``text`` cut for wkhtmltopdf, ``[(chunk, "rtl" | "ltr" | "")]``. Its WebKit lays out a text node
	that mixes Arabic with digits, Latin letters or punctuation wrongly (past the edge of its box, over
	its neighbours, never wrapped). So each Arabic word is a chunk of its own (``rtl``); codes, numbers,
	dates and Latin words are ``ltr`` chunks (consecutive ones with the spaces between them in one);
	spaces and punctuation are plain (``""``) chunks between them. Text without Arabic stays whole."""
	if not text:
		return []
	text = str(text)
	if not re.search(f"[{_RTL}]", text):
		return [(text, "ltr" if _LTR_CHAR.search(text) else "")]
	chunks: list[list[str]] = []
	for token in _TOKEN.findall(text):
		if re.match(f"[{_RTL}]", token):
			chunks.append([token, "rtl"])
		elif not token.isspace() and _LTR_CHAR.search(token):
			if len(chunks) >= 2 and chunks[-1][0].isspace() and chunks[-2][1] == "ltr":
				space = chunks.pop()[0]
				chunks[-1][0] += space + token
			elif chunks and chunks[-1][1] == "ltr":
				chunks[-1][0] += token
			else:
				chunks.append([token, "ltr"])
		elif chunks and chunks[-1][1] == "" and not chunks[-1][0].isspace() and not token.isspace():
			chunks[-1][0] += token
		else:
			chunks.append([token, ""])
	return [(chunk, direction) for chunk, direction in chunks]


def localized_name(code: str | None, name: str | None, name_ar: str | None, lang: str | None) -> str:
	"""A record's name as the reader reads it: the Arabic name in an Arabic print, else the name, else
	the code; the code is kept beside a name so the record can be found (``Name (CODE)``)."""
	shown = (name_ar if text_direction(lang) == "rtl" and name_ar else None) or name
	if not shown or shown == code:
		return code or ""
	return f"{shown} ({code})" if code else shown


def kg(value: float | None) -> str:
	"""A weight for print: thousands separated, at most 3 decimals, blank when unknown."""
	return "" if value is None else format_kg(float(value))


def pct(value: float | None, decimals: int = 2) -> str:
	"""A signed percentage for print (``+1.25 %``), blank when unknown."""
	return "" if value is None else f"{float(value):+.{decimals}f} %"


# --- scale ticket slip -------------------------------------------------------------------------------


def weighing_verdict(
	net_kg: float | None,
	expected_net_kg: float | None,
	tolerance_pct: float | None,
	deviation_pct: float | None,
	mismatch_flag: int | bool | None,
) -> dict:
	"""The declared-versus-weighed block of a slip. The stored ``mismatch_flag`` decides (it is what the
	ticket was judged by when submitted); without a declared weight nothing was compared."""
	if not expected_net_kg:
		state = NOT_COMPARED
	else:
		state = MISMATCH if mismatch_flag else WITHIN_TOLERANCE
	difference = None
	if expected_net_kg and net_kg is not None:
		difference = round(float(net_kg) - float(expected_net_kg), 3)
	return {
		"state": state,
		"net": kg(net_kg),
		"expected": kg(expected_net_kg) if expected_net_kg else "",
		"difference": "" if difference is None else f"{'+' if difference > 0 else ''}{kg(difference)}",
		"deviation": pct(deviation_pct) if expected_net_kg else "",
		"tolerance": "" if tolerance_pct is None else f"± {float(tolerance_pct):.2f} %",
	}


# --- lot quality certificate -------------------------------------------------------------------------


def latest_tests(tests: Sequence[Mapping]) -> list[Mapping]:
	"""The most recent test of each test type (by test date, then name), in the order of the types'
	first appearance: the results a lot is judged by today."""
	latest: dict[str, Mapping] = {}
	for test in tests:
		kind = test.get("test_type")
		if kind not in latest or _test_key(test) > _test_key(latest[kind]):
			latest[kind] = test
	return sorted(latest.values(), key=lambda t: str(t.get("test_type")))


def _test_key(test: Mapping) -> tuple:
	return (str(test.get("test_date") or ""), str(test.get("name") or ""))


def quality_verdict(tests: Sequence[Mapping]) -> dict:
	"""The lot's verdict from the latest test of each type: failed when one of them failed, passed when
	every one that carries a result passed, not assessed when none carries one."""
	latest = latest_tests(tests)
	results = [t.get("result") for t in latest]
	if not latest:
		verdict = NO_TESTS
	elif FAIL in results:
		verdict = SOME_FAILED
	elif PASS in results:
		verdict = ALL_PASSED
	else:
		verdict = NOT_ASSESSED
	return {
		"verdict": verdict,
		"latest": latest,
		"passed": results.count(PASS),
		"failed": results.count(FAIL),
		"without_result": sum(1 for r in results if r not in (PASS, FAIL)),
		"superseded": len(tests) - len(latest),
	}


def certificate_rows(certificates: Sequence[Mapping], today: dt.date) -> list[dict]:
	"""Certificates by status (active first) then expiry, each with the days left to its expiry."""
	rows = []
	for cert in certificates:
		expiry = _as_date(cert.get("expiry_date"))
		rows.append({**cert, "days_left": (expiry - today).days if expiry else None})
	order = {status: i for i, status in enumerate(CERTIFICATE_ORDER)}
	return sorted(
		rows,
		key=lambda r: (
			order.get(r.get("status"), len(order)),
			str(r.get("expiry_date") or ""),
			r.get("name"),
		),
	)


# --- CAPA report -------------------------------------------------------------------------------------


def capa_timeline(
	opened_on: dt.date | dt.datetime | str | None,
	due_date: dt.date | str | None,
	closed_on: dt.date | dt.datetime | str | None,
	today: dt.date,
) -> dict:
	"""Days open, days late and the state of a nonconformance against its due date."""
	opened, due, closed = _as_date(opened_on), _as_date(due_date), _as_date(closed_on)
	end = closed or today
	late = (end - due).days if due else None
	if not due:
		state = NO_DUE_DATE
	elif closed:
		state = CLOSED_LATE if late > 0 else CLOSED_ON_TIME
	else:
		state = OVERDUE if late > 0 else ON_TRACK
	return {
		"state": state,
		"days_open": (end - opened).days if opened else None,
		"days_late": max(late, 0) if late is not None else None,
		"days_left": -late if late is not None and late < 0 and not closed else None,
	}


def capa_steps(status: str | None) -> list[dict]:
	"""The five CAPA steps, each done, current or to do, for the report's progress line."""
	current = STATUSES.index(status) if status in STATUSES else 0
	steps = []
	for i, step in enumerate(STATUSES):
		if i < current or (status == CLOSED and step == CLOSED):
			state = "done"
		elif i == current:
			state = "current"
		else:
			state = "todo"
		steps.append({"status": step, "state": state})
	return steps


# --- lot trace ---------------------------------------------------------------------------------------


def flatten_tree(trace: Mapping) -> list[dict]:
	"""The genealogy tree of a trace (``Genealogy.as_dict()``) as printable rows, depth first, without
	the starting lot: each row is a lot with its generation (``level``), the kg that moved on its edge,
	the transfer, and its node's data; ``repeat`` marks a lot printed already, ``more`` one whose next
	generations were not read. Iterative, so a deep genealogy never hits the recursion limit."""
	nodes = trace.get("nodes") or {}
	rows: list[dict] = []
	stack = list(reversed((trace.get("tree") or {}).get("children") or []))
	while stack:
		item = stack.pop()
		node = nodes.get(item.get("id")) or {}
		rows.append(
			{
				**{k: v for k, v in node.items() if not isinstance(v, list | dict)},
				"id": item.get("id"),
				"level": item.get("depth") or 0,
				"qty_kg": item.get("qty_kg"),
				"qty": kg(item.get("qty_kg")),
				"transfer": item.get("transfer"),
				"repeat": int(bool(item.get("repeat"))),
				"more": int(bool(item.get("more"))),
				"restricted": int(bool(node.get("restricted"))),
			}
		)
		stack.extend(reversed(item.get("children") or []))
	return rows


def trace_transfers(*traces: Mapping) -> list[dict]:
	"""The transfers of one or more traces, once each, with their source and destination lots and the
	kg moved, by date. A transfer the user may not read is left out (its edges say only
	``transfer: None``); ``hidden`` counts the edges so left out."""
	by_name: dict[str, dict] = {}
	for trace in traces:
		nodes = trace.get("nodes") or {}
		for edge in trace.get("edges") or []:
			name = edge.get("transfer")
			if not name:
				continue
			row = by_name.setdefault(
				name,
				{
					"name": name,
					"transfer_type": edge.get("transfer_type"),
					"transfer_date": edge.get("transfer_date"),
					"sources": [],
					"destinations": [],
					"edges": set(),
				},
			)
			key = (edge.get("source"), edge.get("destination"))
			if key in row["edges"]:
				continue
			row["edges"].add(key)
			for side, node_id in (("sources", key[0]), ("destinations", key[1])):
				label = (nodes.get(node_id) or {}).get("label") or node_id
				if label not in row[side]:
					row[side].append(label)
	rows = sorted(by_name.values(), key=lambda r: (str(r["transfer_date"] or ""), r["name"]))
	for row in rows:
		row.pop("edges")
	return rows


def trace_tickets(*traces: Mapping) -> list[dict]:
	"""The scale tickets of every readable lot of the traces, once each, by date and time."""
	tickets: dict[str, dict] = {}
	for trace in traces:
		for node in (trace.get("nodes") or {}).values():
			for ticket in node.get("scale_tickets") or []:
				tickets.setdefault(
					ticket["name"], {**ticket, "lot": node.get("lot"), "net": kg(ticket.get("net_kg"))}
				)
	return sorted(tickets.values(), key=lambda t: (str(t.get("ticket_datetime") or ""), t["name"]))


def trace_summary(backward: Mapping, forward: Mapping) -> dict:
	"""Counts for the head of a trace: ancestors, descendants, restricted lots, sites, and whether a
	direction stopped at its depth limit."""
	summary = {}
	sites: set[str] = set()
	for key, trace in (("ancestors", backward), ("descendants", forward)):
		others = [n for n in (trace.get("nodes") or {}).values() if n.get("depth")]
		summary[key] = len(others)
		summary[f"{key}_restricted"] = sum(1 for n in others if n.get("restricted"))
		summary[f"{key}_truncated"] = int(bool(trace.get("truncated")))
		sites.update(n["site"] for n in (trace.get("nodes") or {}).values() if n.get("site"))
	summary["sites"] = sorted(sites)
	return summary


def _as_date(value) -> dt.date | None:
	if not value:
		return None
	if isinstance(value, dt.datetime):
		return value.date()
	if isinstance(value, dt.date):
		return value
	return dt.date.fromisoformat(str(value)[:10])
