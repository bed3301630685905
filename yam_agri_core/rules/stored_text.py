"""Texts stored in the writer's language, shown in the reader's.

A reading's ``flag_reason`` is written once, when the reading arrives (by the gateway, in English), from
the templates of :mod:`rules.observations`. To show it to an Arabic reader, each reason is matched back
to its template, and the template and its words are translated: numbers and units stay as written.
A text that matches no template is shown as stored.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from yam_agri_core.rules.messages import _
from yam_agri_core.rules.printing import bidi_runs

#: What a placeholder holds: ``n`` a number as the rules write it, ``t`` any text.
NUMBER = r"[-+]?\d+(?:\.\d+)?"

#: The reason templates of rules.observations with what each placeholder holds (tests check that the
#: templates agree with rules.observations).
REASONS: tuple[tuple[str, str], ...] = (
	(_("unit {0} is wrong for {1}"), "tt"),
	(_("the device is not registered"), ""),
	(_("the device is inactive"), ""),
	(_("the device belongs to site {0}"), "t"),
	(_("the reading time {0} is in the future"), "t"),
	(_("{0} {1} is outside what the sensor can measure ({2} to {3} {1})"), "ntnn"),
	(_("the sensor looks stuck: the same value {0} {1} {2} times in a row"), "ntn"),
	(_("an impossible jump of {0} {1} from the previous reading of {2} {1}"), "ntn"),
	(_("{0} {1} {2} is above the critical limit of {3} {2}"), "tntn"),
	(_("{0} {1} {2} is below the critical limit of {3} {2}"), "tntn"),
	(_("{0} {1} {2} is above the normal range (up to {3} {2})"), "tntn"),
	(_("{0} {1} {2} is below the normal range (from {3} {2})"), "tntn"),
)

#: How stored reasons are joined (``observation.reasons_text`` and the Quarantine Review).
REASON_SEPARATOR = "; "

_PLACEHOLDER = re.compile(r"\{(\d+)\}")


def template_pattern(template: str, kinds: str = "") -> re.Pattern:
	"""A regular expression matching ``template`` filled in: each ``{n}`` a group (a number when
	``kinds[n]`` is ``n``), a repeated ``{n}`` the same text again."""
	out, seen, pos = ["^"], set(), 0
	for match in _PLACEHOLDER.finditer(template):
		out.append(re.escape(template[pos : match.start()]))
		index = match.group(1)
		kind = kinds[int(index)] if int(index) < len(kinds) else "t"
		group = NUMBER if kind == "n" else ".+?"
		out.append(f"(?P=p{index})" if index in seen else f"(?P<p{index}>{group})")
		seen.add(index)
		pos = match.end()
	out.append(re.escape(template[pos:]) + "$")
	return re.compile("".join(out), re.DOTALL)


_PATTERNS: dict[tuple[str, str], re.Pattern] = {}


def match_template(text: str, templates: Iterable[tuple[str, str]]) -> tuple[str, list[str]] | None:
	"""The template ``text`` was made from and its parameters in placeholder order, or None.
	``templates``: (template, kinds) pairs (see :func:`template_pattern`)."""
	for template, kinds in templates:
		pattern = _PATTERNS.get((template, kinds))
		if pattern is None:
			pattern = _PATTERNS[(template, kinds)] = template_pattern(template, kinds)
		found = pattern.match(text.strip())
		if found:
			count = len({m.group(1) for m in _PLACEHOLDER.finditer(template)})
			return template, [found.group(f"p{i}") for i in range(count)]
	return None


def localize(text: str, templates: Iterable[tuple[str, str]], translate: Callable[[str], str]) -> str:
	"""``text`` in the reader's language when it was made from one of ``templates``; else as stored.
	Parameters are translated too (a metric's name); numbers, units and codes have no translation."""
	found = match_template(text, templates)
	if not found:
		return text
	template, params = found
	return translate(template).format(*(translate(p) for p in params))


def localize_reasons(text: str | None, translate: Callable[[str], str]) -> str:
	"""A stored ``flag_reason`` (several reasons joined) in the reader's language, its left-to-right
	values isolated in an Arabic text (:func:`isolate_ltr`)."""
	if not text:
		return text or ""
	return isolate_ltr(
		REASON_SEPARATOR.join(localize(reason, REASONS, translate) for reason in text.split(REASON_SEPARATOR))
	)


#: Unicode's left-to-right isolate and its end (invisible; plain text, so no markup is needed).
LRI, PDI = "\u2066", "\u2069"


def isolate_ltr(text: str) -> str:
	"""In a text with Arabic, each left-to-right run (``43.74 °C``, ``2026-Spring``, a code) between
	LRI and PDI, so that a right-to-left line keeps it in order (not ``C° 43.74``). Other text as is."""
	runs = bidi_runs(text)
	if not any(direction == "rtl" for _run, direction in runs):
		return text
	return "".join(f"{LRI}{run}{PDI}" if direction == "ltr" else run for run, direction in runs)
