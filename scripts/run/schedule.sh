# shellcheck shell=bash
# run.sh part: schedule: systemd timers for the daily backup (02:00, then prune), the hourly watch and the weekly
# offsite copy. Persistent=true: a run missed while the machine was off (a power cut at 02:00) runs at the next
# boot instead of being skipped; the backup then waits up to 15 minutes for the stack to come up.

SYSTEMD_DIR="${YAM_SYSTEMD_DIR:-/etc/systemd/system}"
SCHEDULE_UNITS="yam-backup yam-watch yam-offsite"

cmd_schedule() {
	local sub="${1:-show}"
	case "$sub" in
	install) schedule_install ;;
	remove) schedule_remove ;;
	show) schedule_show ;;
	*) die "$E_USAGE" "schedule: unknown subcommand '$sub'" "bash run.sh schedule install|remove|show" ;;
	esac
}

# schedule_env: Environment= lines that make the timer act on what this run.sh acts on
schedule_env() {
	local name
	printf 'Environment="YAM_BACKUP_WAIT=%s"\n' "${YAM_BACKUP_WAIT:-900}"
	for name in YAM_ENV_FILE YAM_BACKUP_DIR YAM_BENCH_DIR YAM_SITE YAM_COMPOSE_FILE; do
		[[ -n "${!name:-}" ]] && printf 'Environment="%s=%s"\n' "$name" "${!name}"
	done
	return 0
}

# schedule_unit NAME DESCRIPTION CALENDAR COMMAND...: NAME.service and NAME.timer into SYSTEMD_DIR
schedule_unit() {
	local name="$1" what="$2" when="$3" cmd="" part
	shift 3
	for part in "$@"; do
		cmd+="ExecStart=/bin/bash $SCRIPT_DIR/run.sh $part"$'\n'
	done
	cat >"$SYSTEMD_DIR/$name.service" <<-EOF
		# written by: bash run.sh schedule install ($SCRIPT_DIR)
		[Unit]
		Description=YAM Agri: $what
		After=docker.service network-online.target
		Wants=network-online.target

		[Service]
		Type=oneshot
		WorkingDirectory=$SCRIPT_DIR
		$(schedule_env)
		${cmd%$'\n'}
	EOF
	cat >"$SYSTEMD_DIR/$name.timer" <<-EOF
		# written by: bash run.sh schedule install ($SCRIPT_DIR)
		[Unit]
		Description=YAM Agri: $what ($when)

		[Timer]
		OnCalendar=$when
		Persistent=true
		RandomizedDelaySec=120

		[Install]
		WantedBy=timers.target
	EOF
	chmod 0644 "$SYSTEMD_DIR/$name.service" "$SYSTEMD_DIR/$name.timer"
}

schedule_install() {
	mkdir -p "$SYSTEMD_DIR" && [[ -w "$SYSTEMD_DIR" ]] ||
		die "$E_PREREQ" "cannot write $SYSTEMD_DIR" "run as root: sudo bash run.sh schedule install"
	schedule_unit yam-backup "daily backup and prune" "*-*-* 02:00:00" backup prune
	schedule_unit yam-watch "watch backups and disk space" "hourly" watch
	schedule_unit yam-offsite "weekly encrypted offsite copy" "Sun *-*-* 03:00:00" offsite
	info "wrote yam-backup, yam-watch, yam-offsite .service/.timer into $SYSTEMD_DIR"
	if command -v systemctl >/dev/null 2>&1; then
		systemctl daemon-reload || die "$E_FAIL" "systemctl daemon-reload failed" "is systemd running? (ps -p 1)"
		local timers=(yam-backup.timer yam-watch.timer)
		[[ -n "$OFFSITE_REPO" ]] && timers+=(yam-offsite.timer)
		systemctl enable --now "${timers[@]}" || die "$E_FAIL" "could not enable ${timers[*]}" "systemctl status yam-backup.timer"
		info "enabled ${timers[*]}$([[ -z "$OFFSITE_REPO" ]] && echo " (yam-offsite.timer: set YAM_OFFSITE_REPO, then install again)")"
	else
		warn "no systemctl here: enable the timers by hand (systemctl enable --now yam-backup.timer yam-watch.timer)"
	fi
}

schedule_remove() {
	local unit
	if command -v systemctl >/dev/null 2>&1; then
		systemctl disable --now yam-backup.timer yam-watch.timer yam-offsite.timer || true
	fi
	for unit in $SCHEDULE_UNITS; do
		rm -f -- "$SYSTEMD_DIR/$unit.service" "$SYSTEMD_DIR/$unit.timer"
	done
	command -v systemctl >/dev/null 2>&1 && systemctl daemon-reload
	info "removed the yam timers from $SYSTEMD_DIR"
}

schedule_show() {
	local unit
	for unit in $SCHEDULE_UNITS; do
		if [[ -f "$SYSTEMD_DIR/$unit.timer" ]]; then
			info "$unit.timer: $(grep '^OnCalendar=' "$SYSTEMD_DIR/$unit.timer")"
		else
			info "$unit.timer: not installed (bash run.sh schedule install)"
		fi
	done
	command -v systemctl >/dev/null 2>&1 && systemctl list-timers 'yam-*' --all --no-pager || true
}
