"""The Bin Temperature chart in Desk (issue 19 item 1): a bucket where a bin has no reading drawn is a
gap, never 0 °C; a bin whose readings in the window were quarantined says so in its legend; hour labels
are whole ("14:00", not "0 ..."); legend names do not overlap; nothing raises. In English and Arabic,
for the personas who see a site (the demo's silo S2 has quarantined readings at 43.7 °C).

Screenshots of the chart go to YAM_BROWSER_SHOTS as bin-temperature-<lang>.png (QA manager).
"""

from __future__ import annotations

import itertools

import pytest
from browser_support import PERSONAS, cases

CHART = "Bin Temperature"
WORKSPACE = "bin-monitoring"
PERSONAS_WITH_SITES = ("qa", "silo", "auditor")
DRAWN = (
	'name => { const w = document.querySelector(`[chart_name="${CSS.escape(name)}"]`);'
	" return !!w && (!!w.querySelector('svg.frappe-chart .dataset-units') || [...w.querySelectorAll('.chart-loading-state')]"
	".some(e => e.offsetParent !== null && e.textContent.trim() !== __('Loading...'))); }"
)
#: what the chart draws, read from its SVG: legend entries and their boxes, x labels, every data unit
READ_SVG = """name => {
	const w = document.querySelector(`[chart_name="${CSS.escape(name)}"]`);
	const svg = w && w.querySelector('svg.frappe-chart');
	if (!svg) return null;
	const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
	const zero = [...svg.querySelectorAll('.y.axis text')].find(t => t.textContent.trim() === '0');
	return {
		legend: [...svg.querySelectorAll('.legend-dataset-label')].map(t => ({text: t.textContent, box: box(t)})),
		xlabels: [...svg.querySelectorAll('.x.axis text')].map(t => t.textContent),
		units: [...svg.querySelectorAll('g.dataset-units')].map(g => ({
			cls: g.getAttribute('class'),
			bars: [...g.querySelectorAll('rect.bar')].map(r => parseFloat(r.getAttribute('height'))),
			dots: [...g.querySelectorAll('circle')].length,
		})),
		zeroLabel: !!zero,
	};
}"""


def _cases():
	return [case for case in cases() if case.values[0] in PERSONAS_WITH_SITES]


@pytest.mark.parametrize(("persona", "lang"), _cases())
def test_bin_temperature_draws_gaps_and_marks_quarantined_bins(desk, browser_env, persona, lang):
	assert persona in PERSONAS
	data = desk.persona.rest.call(
		"yam_agri_core.desk.charts.get_bin_temperature", chart_name=CHART, filters={"period": "Last 24 Hours"}
	)
	mark = desk.open(f"/app/{WORKSPACE}")
	desk.page.wait_for_function(DRAWN, arg=CHART, timeout=60000)
	desk.wait_idle(1000)
	drawn = desk.js(READ_SVG, CHART)
	if not data:
		assert not drawn or not drawn["units"], "the chart draws while the source says No Data"
		desk.assert_clean(mark, CHART)
		return
	assert drawn, f"{CHART} drew no chart ({persona}, {lang}) though its source has data"
	marker = desk.js("() => __('{0} (quarantined)', ['']).trim()")
	names = [d["name"] for d in data["datasets"]]
	with_gaps = [i for i, d in enumerate(data["datasets"]) if any(v is None for v in d["values"])]
	quarantined = [n for n in names if marker in n]
	# the demo's silo S2 had its hot readings quarantined: its legend must say so
	if "YEM-TAI-SILO-01" in desk.persona.sites or not desk.persona.sites:
		assert quarantined, f"no bin is marked quarantined in {names}"
	# a gap is a gap: no line (frappe-charts draws a missing value of a line at 0), no bar where nothing
	# was read
	for i in with_gaps:
		unit = next((u for u in drawn["units"] if f"dataset-{i}" in u["cls"].split()), None)
		assert unit is not None, f"dataset {names[i]} is not drawn"
		assert unit["dots"] == 0 and "dataset-line" not in unit["cls"], (
			f"{names[i]} is drawn as a line: its missing readings sit at 0 °C"
		)
		for value, height in zip(data["datasets"][i]["values"], unit["bars"], strict=False):
			if value is None:
				assert height == 0, f"{names[i]} draws a bar where it has no reading"
	# the legend says what the source says, whole, and its entries do not overlap
	shown = [entry["text"] for entry in drawn["legend"]]
	if len(names) > 1:
		assert shown == names, f"legend {shown} is not {names} (cut or missing)"
		boxes = sorted(entry["box"] for entry in drawn["legend"])
		for a, b in itertools.pairwise(boxes):
			same_row = a[1] < b[3] and b[1] < a[3]
			assert not (same_row and a[2] > b[0] + 1), f"legend entries overlap: {shown}"
	# hour labels are whole: never cut to "0 ..."
	assert not [x for x in drawn["xlabels"] if x.endswith("...") or x.endswith("..")], drawn["xlabels"]
	assert any(x.strip() for x in drawn["xlabels"]), "no hour label is shown"
	widget = desk.page.locator(f'[chart_name="{CHART}"]').first
	path = browser_env.shot_path("Chart", CHART, persona, lang)
	if browser_env.readme_dir and persona == "qa":
		browser_env.readme_dir.mkdir(parents=True, exist_ok=True)
		path = browser_env.readme_dir / f"bin-temperature-{lang}.png"
	widget.screenshot(path=str(path))
	desk.assert_clean(mark, CHART)
