"""The JSON contract between run.sh and yam_agri_core.ops (pure parts: no frappe is imported or faked)."""

import ast
import inspect
import json
import os
import re
import subprocess
import sys

import pytest
from run_sh_support import ROOT

from yam_agri_core import ops

# ---------------------------------------------------------------------------------------------------------------
# the JSON contract between run.sh and yam_agri_core.ops (pure parts: no frappe is imported or faked)


def common_sh(*args, **env):
	"""Run a function of scripts/run/common.sh with ARGS (as bash words, no quoting)."""
	script = 'SCRIPT_DIR="$1"; shift; source "$SCRIPT_DIR/scripts/run/common.sh"; "$@"'
	return subprocess.run(
		["bash", "-c", script, "_", str(ROOT), *args],
		capture_output=True,
		text=True,
		env={**os.environ, **env},
	)


ODD_STRINGS = [
	"",
	"plain",
	'it\'s "quoted" and \\back\\slashed\\',
	"tab\there\nnew line\r\nCRLF",
	"ctrl \x01 \x1b[31m \x1f del \x7f",
	"& && \\& ${HOME} $(id) `id` * ? [a-z] ~",
	"عدن — Ø 温度 💡 \u2028 line separator",
	"True None null false {'a': 1}",
]


@pytest.mark.parametrize("lang", ["C.UTF-8", "C"])
def test_json_obj_is_json_and_the_same_python_literal(lang):
	args = []
	for i, value in enumerate(ODD_STRINGS):
		args += [f"key{i}", value]
	proc = common_sh("json_obj", *args, LC_ALL=lang)
	assert proc.returncode == 0, proc.stderr
	assert "\n" not in proc.stdout
	expected = {f"key{i}": v for i, v in enumerate(ODD_STRINGS)}
	assert json.loads(proc.stdout) == expected
	assert ast.literal_eval(proc.stdout) == expected  # what bench execute's eval() sees
	assert ops.bench_kwargs(proc.stdout) == expected


def test_json_obj_needs_pairs():
	assert common_sh("json_obj", "a").returncode != 0
	assert common_sh("json_obj").stdout == "{}"


def test_json_flag_reads_result_line():
	for fields, key, expect in [
		({"sent": True, "recipients": ["a@x"]}, "sent", 0),
		({"changed": False}, "changed", 1),
		({"changed": True}, "changed", 0),
		({"note": 'x "changed": true y'}, "changed", 1),  # a string that looks like the flag is not the flag
		({}, "changed", 1),
	]:
		assert common_sh("json_flag", ops.result_line(**fields), key).returncode == expect, fields
	assert common_sh("json_flag", "", "changed").returncode == 1


def test_result_line_is_one_sorted_ascii_json_line():
	line = ops.result_line(sent=True, recipients=["ü@x.example"], a=1)
	assert line == '{"a": 1, "recipients": ["\\u00fc@x.example"], "sent": true}'
	assert json.loads(line)["recipients"] == ["ü@x.example"]


def test_bench_kwargs_accepts_objects_of_strings_only():
	assert ops.bench_kwargs('{"backup_config": "/tmp/x/site_config.json"}') == {
		"backup_config": "/tmp/x/site_config.json"
	}
	assert ops.bench_kwargs("{}") == {}
	for bad in ('["a"]', '"a"', '{"now": true}', '{"n": 1}', '{"a": null}'):
		with pytest.raises(ValueError):
			ops.bench_kwargs(bad)
	with pytest.raises(ValueError):
		ops.bench_kwargs("{'a': 'python, not json'}")


def test_split_recipients():
	assert ops.split_recipients("it@yam.example") == ["it@yam.example"]
	assert ops.split_recipients(" a@x.example, b@y.example;c@z.example ,, ") == [
		"a@x.example",
		"b@y.example",
		"c@z.example",
	]
	assert ops.split_recipients(" , ") == []


def test_read_config_and_key_to_adopt():
	assert ops.read_config('{"encryption_key": "K", "allow_tests": true}') == {
		"encryption_key": "K",
		"allow_tests": True,
	}
	assert ops.read_config("not json") == {} and ops.read_config("[1]") == {} and ops.read_config("") == {}
	assert ops.key_to_adopt({"encryption_key": "OLD"}, {"encryption_key": "NEW"}) == "NEW"
	assert ops.key_to_adopt({}, {"encryption_key": "NEW"}) == "NEW"
	assert ops.key_to_adopt({"encryption_key": "SAME"}, {"encryption_key": "SAME"}) is None
	assert ops.key_to_adopt({"encryption_key": "OLD"}, {}) is None
	assert ops.key_to_adopt({"encryption_key": "OLD"}, {"encryption_key": ""}) is None
	assert ops.key_to_adopt({"encryption_key": "OLD"}, {"encryption_key": 5}) is None


def test_ops_functions_take_strings_and_the_module_imports_no_frappe():
	for fn in (ops.notify_admin, ops.adopt_encryption_key):
		params = inspect.signature(fn).parameters.values()
		assert params and all(p.annotation in (str, "str") for p in params), fn.__name__
	code = "import sys; import yam_agri_core.ops; assert 'frappe' not in sys.modules, 'frappe imported'"
	proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
	assert proc.returncode == 0, proc.stderr
	assert not re.search(r"^(import|from) frappe", (ROOT / "yam_agri_core" / "ops.py").read_text(), re.M)
