"""run.sh watch and status_ops_report: a missing or failed backup and a full disk email the admin once per event,
over SMTP from the host while the stack is down, through the site's Email Queue while it answers."""

import datetime as dt

import pytest
from run_sh_ops_support import call_part, closed_port, fake_tool, smtp_server
from run_sh_support import SITE, json_kwargs


@pytest.fixture
def smtp():
	yield from smtp_server()


def ago(hours, fmt="%Y%m%d_%H%M"):
	return (dt.datetime.now() - dt.timedelta(hours=hours)).strftime(fmt)


def fake_df(sandbox, percent):
	"""df that reports PERCENT % used for every path (the watched file systems)."""
	body = f'printf "Filesystem 1024-blocks Used Available Capacity Mounted on\\n/dev/x 100 {percent} 1 {percent}%% /\\n"'
	return fake_tool(sandbox, "df", body)


def stack_down(sandbox):
	sandbox.state["containers"]["backend"] = {"status": "exited", "exit": 137}
	sandbox.save_state()


def watch(sandbox, smtp, percent=40, **env):
	return sandbox.run(
		"watch",
		PATH=fake_df(sandbox, percent),
		YAM_ADMIN_EMAIL="it@yam.example",
		YAM_WATCH_PATHS=str(sandbox.tmp),
		**{**smtp.env, **env},
	)


def test_fresh_backup_and_free_disk_are_quiet(sandbox, smtp):
	sandbox.make_backup(ago(2))
	proc = watch(sandbox, smtp)
	assert proc.returncode == 0, proc.stderr
	assert "fine" in proc.stdout and smtp.messages == []


def test_missing_backup_mails_once_per_event_with_the_stack_down(sandbox, smtp):
	sandbox.make_backup(ago(30))  # older than 26 h
	stack_down(sandbox)
	proc = watch(sandbox, smtp)
	assert proc.returncode == 4
	assert len(smtp.messages) == 1 and "no backup for 26 hours" in smtp.messages[0]
	assert "To: it@yam.example" in smtp.messages[0]
	for _ in range(2):  # the hourly timer again: already told
		proc = watch(sandbox, smtp)
		assert proc.returncode == 4 and "already told" in proc.stdout
	assert len(smtp.messages) == 1
	# a backup arrives: the event is over; when backups stop again, that is a new event
	sandbox.make_backup(ago(1))
	assert watch(sandbox, smtp).returncode == 0
	assert "backup-missing" not in (sandbox.backups / ".watch-state").read_text()


def test_no_backup_at_all_is_an_event(sandbox, smtp):
	stack_down(sandbox)
	proc = watch(sandbox, smtp)
	assert proc.returncode == 4 and len(smtp.messages) == 1
	assert "newest: none" in smtp.messages[0]


def test_full_disk_mails_once_and_again_after_it_recovered(sandbox, smtp):
	sandbox.make_backup(ago(1))
	stack_down(sandbox)
	assert watch(sandbox, smtp, percent=85).returncode == 4
	assert watch(sandbox, smtp, percent=91).returncode == 4
	assert len(smtp.messages) == 1 and "85 % full" in smtp.messages[0]
	assert watch(sandbox, smtp, percent=50).returncode == 0
	assert watch(sandbox, smtp, percent=81).returncode == 4
	assert len(smtp.messages) == 2
	assert watch(sandbox, smtp, percent=80).returncode == 0  # the runbook: ABOVE 80 %


def test_failed_backup_mails_once_even_when_told_by_backup_itself(sandbox, smtp):
	sandbox.make_backup(ago(3))
	stack_down(sandbox)
	assert sandbox.run("backup", YAM_ADMIN_EMAIL="it@yam.example", **smtp.env).returncode == 5
	assert len(smtp.messages) == 1
	assert watch(sandbox, smtp).returncode == 4
	assert len(smtp.messages) == 1  # the failure of that run was told already


def test_an_event_that_could_not_be_mailed_is_tried_again(sandbox, smtp):
	stack_down(sandbox)
	proc = watch(sandbox, smtp, YAM_HOST_MAIL_PORT=str(closed_port()))
	assert proc.returncode == 4 and "could not email" in proc.stderr
	assert (
		not (sandbox.backups / ".watch-state").exists()
		or "backup-missing" not in (sandbox.backups / ".watch-state").read_text()
	)
	assert watch(sandbox, smtp).returncode == 4
	assert len(smtp.messages) == 1


def test_with_the_site_up_the_alert_goes_through_the_email_queue(sandbox, smtp):
	sandbox.make_backup(ago(40))
	proc = watch(sandbox, smtp)
	assert proc.returncode == 4
	mail = [a for a in sandbox.bench_calls() if "yam_agri_core.ops.notify_admin" in a]
	assert len(mail) == 1 and mail[0][:2] == ["--site", SITE]
	kwargs = json_kwargs(mail[0][-1])
	assert kwargs["now"] == "0" and kwargs["recipients"] == "it@yam.example"
	assert smtp.messages == []
	assert "Email Queue" in proc.stdout


def test_the_mail_password_is_never_on_a_command_line(sandbox, smtp):
	stack_down(sandbox)
	log = sandbox.tmp / "ps.log"
	path = fake_df(sandbox, 95)
	proc = sandbox.run(
		"watch",
		PATH=path,
		YAM_ADMIN_EMAIL="it@yam.example",
		YAM_WATCH_PATHS=str(sandbox.tmp),
		MAIL_PASSWORD="s3cret-relay",
		**smtp.env,
	)
	assert proc.returncode == 4 and len(smtp.messages) == 2
	assert "s3cret-relay" not in " ".join(" ".join(c) for c in sandbox.docker_calls()) and not log.exists()
	assert "s3cret-relay" not in proc.stdout + proc.stderr


def test_status_ops_report_says_what_to_do(sandbox):
	sandbox.make_backup(ago(50))
	proc = call_part(sandbox, "status_ops_report", PATH=fake_df(sandbox, 90), YAM_WATCH_PATHS="/data")
	assert proc.returncode == 0, proc.stderr
	out = proc.stdout
	assert "disk /data" in out and "90 % used" in out
	assert "newest backup:" in out and "(50 h old)" in out
	assert "newest offsite copy: none" in out
	assert (
		"to do: free space on /data" in out and "bash run.sh backup" in out and "bash run.sh offsite" in out
	)
	(sandbox.backups / ".offsite-last").write_text(
		f"{int(dt.datetime.now().timestamp()) - 3 * 86400} {ago(72)}\n"
	)
	sandbox.make_backup(ago(1))
	proc = call_part(sandbox, "status_ops_report", PATH=fake_df(sandbox, 10), YAM_WATCH_PATHS="/data")
	assert "(3 days ago)" in proc.stdout and "to do" not in proc.stdout


def test_host_mail_settings_and_the_merge_of_site_configs():
	from yam_agri_core import ops

	cfg = ops.smtp_settings({"MAIL_SERVER": "mailpit", "MAIL_PORT": "1025"})
	assert cfg["server"] == "" and cfg["port"] == 1025  # a container name is no use from the host
	cfg = ops.smtp_settings(
		{
			"MAIL_SERVER": "mailpit",
			"YAM_HOST_MAIL_SERVER": "relay.example",
			"MAIL_USE_TLS": "1",
			"MAIL_LOGIN": "u",
		}
	)
	assert (cfg["server"], cfg["port"], cfg["starttls"], cfg["login"]) == ("relay.example", 25, True, "u")
	assert ops.merged_config({"db_name": "a", "encryption_key": "OLD"}, {"encryption_key": "NEW"}) == {
		"db_name": "a",
		"encryption_key": "NEW",
	}
	assert ops.merged_config({"db_name": "a"}, {}) == {"db_name": "a"}
	assert ops.main(["bogus"]) == 2
