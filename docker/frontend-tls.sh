#!/bin/bash
# Command of the frontend container: nginx serving HTTPS only, plain HTTP answered with a redirect.
# The certificate: $TLS_DIR/fullchain.pem + privkey.pem as the admin put them there (the tls volume, or a host
# folder: TLS_DIR in .env), or, when there are none, a self-signed one made here on first start for SITE_NAME,
# localhost, 127.0.0.1 and TLS_EXTRA_NAMES (e.g. "IP:192.168.1.20,DNS:yam.lan"), valid 825 days.
# The site's nginx configuration is the base image's template (nginx-entrypoint.sh's), rendered the same way,
# with its plain listener turned into the TLS one.
set -euo pipefail

TLS_DIR="${YAM_TLS_DIR:-/home/frappe/tls}"
TEMPLATE="${YAM_NGINX_TEMPLATE:-/templates/nginx/frappe.conf.template}"
CONF="${YAM_NGINX_CONF:-/etc/nginx/conf.d/frappe.conf}"
SITE="${SITE_NAME:-yam.localhost}"
HTTPS_PORT="${HTTPS_PORT:-8443}"
CERT="$TLS_DIR/fullchain.pem"
KEY="$TLS_DIR/privkey.pem"

fail() {
	echo "frontend-tls: error: $1" >&2
	exit 1
}

make_self_signed() {
	local names="DNS:$SITE,DNS:localhost,IP:127.0.0.1"
	[[ -z "${TLS_EXTRA_NAMES:-}" ]] || names+=",$TLS_EXTRA_NAMES"
	echo "frontend-tls: no certificate in $TLS_DIR: making a self-signed one for $names"
	(umask 077 && openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 825 -subj "/CN=$SITE" \
		-addext "subjectAltName=$names" -keyout "$KEY.tmp" -out "$CERT.tmp" 2>/dev/null) ||
		fail "openssl could not make a certificate in $TLS_DIR (is it writable by uid $(id -u)?)"
	mv -f "$KEY.tmp" "$KEY"
	mv -f "$CERT.tmp" "$CERT"
	chmod 0644 "$CERT"
	echo "self-signed $(date -u +%Y-%m-%d) for $names" >"$TLS_DIR/SELF-SIGNED"
}

check_pair() { # the key belongs to the certificate
	local a b
	a="$(openssl x509 -noout -pubkey -in "$CERT" 2>/dev/null | openssl sha256)" || fail "$CERT is not a PEM certificate"
	b="$(openssl pkey -pubout -in "$KEY" 2>/dev/null | openssl sha256)" || fail "$KEY is not a PEM private key"
	[[ "$a" == "$b" ]] || fail "$KEY is not the key of $CERT (replace both, or remove both to get a self-signed pair)"
}

render_conf() {
	local defaults=(BACKEND=0.0.0.0:8000 SOCKETIO=0.0.0.0:9000 UPSTREAM_REAL_IP_ADDRESS=127.0.0.1
		UPSTREAM_REAL_IP_HEADER=X-Forwarded-For UPSTREAM_REAL_IP_RECURSIVE=off PROXY_READ_TIMEOUT=120
		CLIENT_MAX_BODY_SIZE=50m) kv name body
	for kv in "${defaults[@]}"; do # the defaults of the base image's nginx-entrypoint.sh
		name="${kv%%=*}"
		[[ -n "${!name:-}" ]] || export "${name}=${kv#*=}"
	done
	export FRAPPE_SITE_NAME_HEADER="${FRAPPE_SITE_NAME_HEADER:-$SITE}"
	[[ -f "$TEMPLATE" ]] || fail "nginx template $TEMPLATE not found (base image changed?)"
	# shellcheck disable=SC2016 # the names envsubst replaces, not expansions
	body="$(envsubst '${BACKEND} ${SOCKETIO} ${UPSTREAM_REAL_IP_ADDRESS} ${UPSTREAM_REAL_IP_HEADER}
		${UPSTREAM_REAL_IP_RECURSIVE} ${FRAPPE_SITE_NAME_HEADER} ${PROXY_READ_TIMEOUT} ${CLIENT_MAX_BODY_SIZE}' <"$TEMPLATE")"
	[[ "$body" =~ listen[[:space:]]+8080\; ]] || fail "the template $TEMPLATE has no 'listen 8080;' to turn into TLS"
	# the site's URL (host_name, set by create-site) is https://SITE_NAME:HTTPS_PORT; the containers reach it
	# here (the frontend's network alias is SITE_NAME), so listen on HTTPS_PORT inside the network as well
	local tls="listen 8443 ssl;"
	[[ "$HTTPS_PORT" == 8443 || ! "$HTTPS_PORT" =~ ^[0-9]+$ ]] || tls+="
	listen $HTTPS_PORT ssl;"
	tls+="
	ssl_certificate $CERT;
	ssl_certificate_key $KEY;
	ssl_protocols TLSv1.2 TLSv1.3;
	ssl_session_cache shared:yamtls:1m;"
	# one Strict-Transport-Security header: the base image's template (or its security_headers.conf) may send it
	local snippet hsts=0
	[[ "$body" != *Strict-Transport-Security* ]] || hsts=1
	while read -r snippet; do
		[[ -n "$snippet" ]] && grep -qs "Strict-Transport-Security" "$snippet" && hsts=1
	done < <(grep -o 'include [^;]*security_headers[^;]*' <<<"$body" | cut -d' ' -f2)
	((hsts)) || tls+="
	add_header Strict-Transport-Security \"max-age=31536000\" always;"
	body="${body/listen 8080;/$tls}"
	cat >"$CONF" <<CONF
$body

# plain HTTP: only a redirect to HTTPS (port $HTTPS_PORT as published on the host)
server {
	listen 8080 default_server;
	server_name _;
	location / {
		return 301 https://\$host:$HTTPS_PORT\$request_uri;
	}
}
CONF
}

mkdir -p "$TLS_DIR"
if [[ -f "$CERT" && -f "$KEY" ]]; then
	echo "frontend-tls: using the certificate in $CERT"
elif [[ -f "$CERT" || -f "$KEY" ]]; then
	fail "$TLS_DIR has only one of fullchain.pem and privkey.pem: put both there"
else
	make_self_signed
fi
check_pair
render_conf
if (($#)); then exec "$@"; fi
exec nginx -g 'daemon off;'
