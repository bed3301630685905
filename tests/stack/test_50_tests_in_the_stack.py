"""`bash run.sh test`: the integration tier green inside the stack, on its own site, leaving nothing in the
production volumes and database; memory per container while it runs."""

import threading


def databases(stack) -> set[str]:
	"""The databases in MariaDB (the root password through the environment, never on a command line)."""
	out = stack.compose(
		"exec",
		"-T",
		"-e",
		"MYSQL_PWD",
		"db",
		"mariadb",
		"-uroot",
		"-N",
		"-e",
		"SHOW DATABASES",
		env={"MYSQL_PWD": stack.settings["DB_ROOT_PASSWORD"]},
	)
	return set(out.split())


def test_run_sh_test_is_green_and_leaves_nothing_behind(stack):
	peak: dict[str, float] = {}
	done = threading.Event()

	def sample():
		while not done.is_set():
			try:
				for name, mib in stack.memory().items():
					peak[name] = max(peak.get(name, 0), mib)
			except Exception:
				pass
			done.wait(20)

	sites_before = stack.compose("exec", "-T", "backend", "ls", "sites").split()
	databases_before = databases(stack)
	sampler = threading.Thread(target=sample, daemon=True)
	sampler.start()
	try:
		proc = stack.run("test", timeout=5400)
	finally:
		done.set()
		sampler.join(30)
	for name, mib in sorted(peak.items()):
		stack.figure(f"memory during run.sh test {name}", f"{mib:.0f} MiB (peak)")
	stack.figure("run.sh test", f"{proc.seconds:.0f} s")
	tail = proc.stdout[-4000:] + proc.stderr[-4000:]
	assert proc.returncode == 0, tail
	assert "FAILED" not in tail and "Error" not in tail.split("Ran ")[-1]
	sites_after = stack.compose("exec", "-T", "backend", "ls", "sites").split()
	assert set(sites_after) - set(sites_before) == set()
	assert not any(name.startswith("test.") for name in sites_after), sites_after
	assert databases(stack) == databases_before
