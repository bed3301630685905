#!/bin/bash
# Entrypoint of every yam-agri-core container.
# The base image declares sites/assets as a volume, which would otherwise keep the assets of an older image
# after an upgrade. Refresh it (and sites/apps.txt) from this image, then run the container's command.
set -euo pipefail

BENCH="${BENCH_DIR:-/home/frappe/frappe-bench}"
IMAGE_ASSETS="${YAM_IMAGE_ASSETS:-/home/frappe/yam-assets}"
IMAGE_APPS_TXT="${YAM_IMAGE_APPS_TXT:-/home/frappe/yam-apps.txt}"

if [[ "${YAM_SKIP_ASSET_SYNC:-0}" != "1" && -d "$IMAGE_ASSETS" && -w "$BENCH/sites" ]]; then
	mkdir -p "$BENCH/sites/assets"
	if [[ -w "$BENCH/sites/assets" ]]; then
		cp -a --remove-destination "$IMAGE_ASSETS/." "$BENCH/sites/assets/" ||
			echo "entrypoint: warning: could not refresh sites/assets from the image" >&2
	fi
	# atomic: many containers start at once and share the sites volume
	tmp="$(mktemp "$BENCH/sites/.apps.txt.XXXXXX")"
	cp "$IMAGE_APPS_TXT" "$tmp"
	chmod 0644 "$tmp"
	mv -f "$tmp" "$BENCH/sites/apps.txt"
fi

exec "$@"
