"""docker/bootstrap-site.sh (the create-site job) is resumable: a first start cut off half way is redone, the
site is marked complete only with frappe, erpnext and yam_agri_core installed, a marked site only migrates, and a
site whose database is gone is never silently recreated. Runs the real script against the fake bench."""

import json
import subprocess
from pathlib import Path

from run_sh_ops_support import fake_tool
from run_sh_support import FAKE_BIN, ROOT

BOOTSTRAP = ROOT / "docker" / "bootstrap-site.sh"
SITE = "new.localhost"


def bootstrap(sandbox, **env):
	path = fake_tool(sandbox, "wait-for-it", "exit 0")
	environ = {
		**sandbox.environ(),
		"PATH": f"{path}:{FAKE_BIN}",
		"BENCH_DIR": str(sandbox.bench),
		"SITE_NAME": SITE,
		"DB_ROOT_PASSWORD": "rootpw",
		"ADMIN_PASSWORD": "adminpw",
		**env,
	}
	return subprocess.run(["bash", str(BOOTSTRAP)], env=environ, capture_output=True, text=True, timeout=60)


def site(sandbox):
	return Path(sandbox.bench) / "sites" / SITE


def test_first_start_creates_the_site_and_marks_it_complete(sandbox):
	proc = bootstrap(sandbox)
	assert proc.returncode == 0, proc.stderr
	assert (site(sandbox) / ".yam-site-complete").exists()
	assert not (Path(sandbox.bench) / "sites" / f".yam-creating-{SITE}").exists()
	new = [c for c in sandbox.bench_calls() if "new-site" in c]
	assert len(new) == 1 and "--db-root-password" not in new[0] and "--admin-password" not in new[0]
	stdin = [json.loads(x) for x in Path(str(sandbox.bench_log) + ".stdin").read_text().splitlines()]
	assert stdin == [{"sub": "new-site", "stdin": ["rootpw", "adminpw", "adminpw"]}]
	assert not any("rootpw" in " ".join(c) for c in sandbox.bench_calls())
	# the next start only migrates
	proc = bootstrap(sandbox)
	assert proc.returncode == 0, proc.stderr
	assert "migrating" in proc.stdout
	assert len([c for c in sandbox.bench_calls() if "new-site" in c]) == 1


def test_a_first_start_cut_off_half_way_is_redone(sandbox):
	proc = bootstrap(sandbox, FAKE_BENCH_INTERRUPT="new-site")
	assert proc.returncode != 0
	assert (site(sandbox) / "site_config.json").exists()  # what a power cut leaves
	assert not (site(sandbox) / ".yam-site-complete").exists()
	assert (Path(sandbox.bench) / "sites" / f".yam-creating-{SITE}").exists()
	proc = bootstrap(sandbox)
	assert proc.returncode == 0, proc.stderr
	assert "interrupted" in proc.stdout
	new = [c for c in sandbox.bench_calls() if "new-site" in c]
	assert len(new) == 2 and "--force" in new[1]
	assert (site(sandbox) / ".yam-site-complete").exists()
	assert set((site(sandbox) / "fake_apps.txt").read_text().split()) >= {
		"frappe",
		"erpnext",
		"yam_agri_core",
	}


def test_a_site_without_the_mark_gets_its_missing_apps_and_the_mark(sandbox):
	"""A site made before the mark existed (or restored into a fresh sites volume) lacking erpnext."""
	site(sandbox).mkdir(parents=True)
	(site(sandbox) / "site_config.json").write_text("{}")
	(site(sandbox) / "fake_apps.txt").write_text("frappe\nyam_agri_core\n")
	proc = bootstrap(sandbox)
	assert proc.returncode == 0, proc.stderr
	assert ["--site", SITE, "install-app", "erpnext"] in sandbox.bench_calls()
	assert not any("new-site" in c for c in sandbox.bench_calls())
	assert (site(sandbox) / ".yam-site-complete").exists()


def test_a_site_that_does_not_answer_is_never_recreated(sandbox):
	site(sandbox).mkdir(parents=True)
	(site(sandbox) / "site_config.json").write_text("{}")
	proc = bootstrap(sandbox, FAKE_BENCH_FAIL="list-apps")
	assert proc.returncode == 1
	assert "bash run.sh restore" in proc.stdout
	assert not any("new-site" in c for c in sandbox.bench_calls())


def test_the_mark_is_not_written_while_an_app_is_missing(sandbox):
	proc = bootstrap(sandbox, FAKE_BENCH_FAIL="install-app", FAKE_BENCH_INTERRUPT="")
	assert proc.returncode == 0  # the fake new-site installed all three
	(site(sandbox) / ".yam-site-complete").unlink()
	(site(sandbox) / "fake_apps.txt").write_text("frappe\n")
	proc = bootstrap(sandbox, FAKE_BENCH_FAIL="install-app")
	assert proc.returncode != 0
	assert not (site(sandbox) / ".yam-site-complete").exists()


def test_run_sh_test_creates_its_site_with_the_passwords_on_stdin(sandbox):
	proc = sandbox.run("test")
	assert proc.returncode == 0, proc.stderr
	new = [c for c in sandbox.bench_calls() if "new-site" in c]
	assert len(new) == 1 and "--db-root-password" not in new[0] and "--admin-password" not in new[0]
	stdin = [json.loads(x) for x in Path(str(sandbox.bench_log) + ".stdin").read_text().splitlines()]
	assert stdin == [{"sub": "new-site", "stdin": ["rootpw", "adminpw", "adminpw"]}]
	assert not any("rootpw" in " ".join(c) or "adminpw" in " ".join(c) for c in sandbox.docker_calls())
