#!/bin/bash
# One-shot job of the compose stack (service create-site).
# First start: point the bench at db/redis, create SITE_NAME with ERPNext + yam_agri_core (resumable: a first
# start cut off by a power cut is redone, see below). Later starts: only migrate. Safe to run any number of
# times; exits non-zero on failure so nothing else starts on a half-made site (every other Frappe service waits
# for this job to succeed).
set -euo pipefail

cd "${BENCH_DIR:-/home/frappe/frappe-bench}"
SITE="${SITE_NAME:?SITE_NAME is not set}"
REDIS_CACHE="${REDIS_CACHE_URL:-redis://redis-cache:6379}"
REDIS_QUEUE="${REDIS_QUEUE_URL:-redis://redis-queue:6379}"
log() { printf '%s create-site: %s\n' "$(date -u +%FT%TZ)" "$*"; }

for target in "${DB_HOST:-db}:${DB_PORT:-3306}" "${REDIS_CACHE#redis://}" "${REDIS_QUEUE#redis://}"; do
	log "waiting for $target"
	wait-for-it -q -t 180 "$target" || { log "ERROR: $target did not answer in 180 s"; exit 1; }
done

log "configuring the bench (common_site_config.json)"
bench set-config -g db_host "${DB_HOST:-db}"
bench set-config -gp db_port "${DB_PORT:-3306}"
bench set-config -g redis_cache "$REDIS_CACHE"
bench set-config -g redis_queue "$REDIS_QUEUE"
bench set-config -g redis_socketio "$REDIS_QUEUE"
bench set-config -gp socketio_port 9000
bench set-config -g default_site "$SITE"

# Resumable first start. sites/.yam-creating-SITE exists while the site is being created: a power cut then leaves
# it, and the next start creates the site again from scratch (nothing was ever finished, nothing is lost).
# sites/SITE/.yam-site-complete is written only once frappe, erpnext and yam_agri_core are all installed.
CREATING="sites/.yam-creating-$SITE"
COMPLETE="sites/$SITE/.yam-site-complete"

missing_apps() { # the required apps the site lacks, one a line; fails when the site does not answer
	local installed app
	installed="$(bench --site "$SITE" list-apps 2>/dev/null)" || return 1
	for app in frappe erpnext yam_agri_core; do
		grep -qw -- "$app" <<<"$installed" || printf '%s\n' "$app"
	done
}

create_site() { # [--force]: new site; the passwords go in on stdin (bench's getpass), never on a command line
	: >"$CREATING"
	printf '%s\n' "${DB_ROOT_PASSWORD:?DB_ROOT_PASSWORD is not set}" "${ADMIN_PASSWORD:?ADMIN_PASSWORD is not set}" \
		"$ADMIN_PASSWORD" | bench new-site "$SITE" "$@" \
		--mariadb-user-host-login-scope='%' \
		--db-root-username root \
		--install-app erpnext \
		--install-app yam_agri_core \
		--set-default
}

if [[ -f "$COMPLETE" ]]; then
	log "site $SITE exists: migrating"
	bench --site "$SITE" migrate
elif [[ -f "$CREATING" ]]; then
	log "the first creation of $SITE was interrupted: creating it again from scratch (takes several minutes)"
	create_site --force
elif [[ -f "sites/$SITE/site_config.json" ]]; then
	# a site made before the completion mark existed, or restored into a fresh sites volume
	missing="$(missing_apps)" || {
		log "ERROR: sites/$SITE/site_config.json exists but the site does not answer (database empty or damaged?)"
		log "restore it: bash run.sh restore (works with the stack down); nothing was changed"
		exit 1
	}
	for app in $missing; do
		log "$app is not installed on $SITE yet: installing"
		bench --site "$SITE" install-app "$app"
	done
	log "site $SITE exists: migrating"
	bench --site "$SITE" migrate
else
	log "creating site $SITE with erpnext and yam_agri_core (first start, takes several minutes)"
	create_site
fi

missing="$(missing_apps)" || { log "ERROR: site $SITE does not answer after setup"; exit 1; }
for app in $missing; do
	log "$app is not installed on $SITE yet: installing"
	bench --site "$SITE" install-app "$app"
done
missing="$(missing_apps)" || missing="frappe"
if [[ -n "$missing" ]]; then
	log "ERROR: $SITE still lacks: $missing"
	exit 1
fi
: >"$COMPLETE"
rm -f "$CREATING"

bench --site "$SITE" scheduler enable

# the site's URL: links in emails, and where wkhtmltopdf loads a PDF's stylesheet from (in a web request and in
# a background job alike); the frontend answers it inside the stack (its network alias is SITE_NAME)
SITE_URL="${SITE_URL:-https://$SITE:${HTTPS_PORT:-8443}}"
log "site URL (host_name): $SITE_URL"
bench --site "$SITE" set-config host_name "$SITE_URL"

if [[ -n "${MAIL_SERVER:-}" ]]; then
	log "outgoing mail through ${MAIL_SERVER}:${MAIL_PORT:-1025} (site config fallback account)"
	bench --site "$SITE" set-config mail_server "$MAIL_SERVER"
	bench --site "$SITE" set-config -p mail_port "${MAIL_PORT:-1025}"
	bench --site "$SITE" set-config -p use_ssl 0
	bench --site "$SITE" set-config -p use_tls 0
	bench --site "$SITE" set-config auto_email_id "${MAIL_SENDER:-alerts@yam.localhost}"
	bench --site "$SITE" set-config email_sender_name "YAM Agri"
	# mailpit (and most LAN relays) take mail without a login; set MAIL_LOGIN/MAIL_PASSWORD for one that needs it
	if [[ -n "${MAIL_LOGIN:-}" ]]; then
		bench --site "$SITE" set-config mail_login "$MAIL_LOGIN"
		bench --site "$SITE" set-config mail_password "${MAIL_PASSWORD:-}"
		bench --site "$SITE" set-config -p disable_mail_smtp_authentication 0
	else
		bench --site "$SITE" set-config -p disable_mail_smtp_authentication 1
	fi
fi

if [[ "${LOAD_DEMO_DATA:-0}" == "1" ]]; then
	log "loading demo data (idempotent)"
	bench --site "$SITE" execute yam_agri_core.demo.make_demo_data \
		|| log "WARNING: demo data failed; the site works, retry with: bash run.sh bench --site $SITE execute yam_agri_core.demo.make_demo_data"
fi

log "done: $SITE is ready"
