"""The browser suite (tests/browser) skips, saying why, where no bench site is given: never a silent pass."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_browser_suite_is_skipped_with_the_env_var_named_when_no_site_is_given():
	env = {key: value for key, value in os.environ.items() if not key.startswith("YAM_BROWSER_")}
	done = subprocess.run(
		[sys.executable, "-m", "pytest", "tests/browser", "-q", "-rs", "-p", "no:cacheprovider"],
		cwd=ROOT,
		env=env,
		capture_output=True,
		text=True,
		timeout=300,
	)
	out = done.stdout + done.stderr
	assert done.returncode == 0, out
	assert "YAM_BROWSER_URL and YAM_BROWSER_SITE are not set" in out, out
	summary = out.strip().splitlines()[-1]
	assert "skipped" in summary and "passed" not in summary and "failed" not in summary, summary
