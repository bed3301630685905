"""DEPLOYMENT_GUIDE §4, the offline path for real: offline-save, the images removed, offline-load, up, on a
machine with no registry; the bundle holds every image of the chosen profiles."""

import time
from pathlib import Path

from stack_support import ROOT


def test_offline_save_remove_load_up(stack, tmp_path):
	images = sorted(set(stack.compose("config", "--images").split()))
	archive = tmp_path / "yam-images.tar.gz"
	save = stack.run("offline-save", str(archive), timeout=3600)
	assert save.returncode == 0, save.stderr
	stack.figure("run.sh offline-save", f"{save.seconds:.0f} s, {archive.stat().st_size // 1048576} MiB")
	assert sorted(Path(f"{archive}.images").read_text().split()) == images  # every image of the profiles
	s = stack.session()
	kept = stack.marker(s, "kept across the offline reload")
	assert stack.run("down").returncode == 0
	stack.docker("rmi", *images, timeout=900)
	for image in images:
		assert (
			stack.docker("image", "inspect", image, check=False) == "[]\n"
			or not stack.docker("images", "-q", image).strip()
		)
	load = stack.run("offline-load", str(archive), timeout=3600)
	assert load.returncode == 0, load.stderr
	stack.figure("run.sh offline-load", f"{load.seconds:.0f} s")
	started = time.monotonic()
	up = stack.run("up", timeout=3600)
	assert up.returncode == 0, up.stderr
	assert "building it" not in up.stdout  # nothing to build or pull
	stack.figure("up after offline-load", f"{time.monotonic() - started:.0f} s")
	assert stack.exists(stack.session(), "ToDo", kept)
	assert (ROOT / "run.sh").exists()
