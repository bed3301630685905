#!/bin/sh
# Mosquitto of the field hub: the password file is made at each start from the sensors' file
# (docker/mosquitto/sensors/passwd, kept by `bash run.sh sensor add DEVICE_ID`) plus the gateway's and the simulator's
# passwords from .env (MQTT_GATEWAY_PASSWORD, MQTT_SIMULATOR_PASSWORD), then mosquitto runs in the foreground.
set -eu
PASSWD=/mosquitto/data/passwd
umask 077
if [ -f /mosquitto/sensors/passwd ]; then
	cp /mosquitto/sensors/passwd "$PASSWD"
else
	: >"$PASSWD"
fi
if [ -z "${MQTT_GATEWAY_PASSWORD:-}" ]; then
	echo "mosquitto: MQTT_GATEWAY_PASSWORD is not set (.env): the gateway cannot connect" >&2
	exit 2
fi
mosquitto_passwd -b "$PASSWD" yam-gateway "$MQTT_GATEWAY_PASSWORD"
if [ -n "${MQTT_SIMULATOR_PASSWORD:-}" ]; then
	mosquitto_passwd -b "$PASSWD" yam-simulator "$MQTT_SIMULATOR_PASSWORD"
fi
chown mosquitto:mosquitto "$PASSWD" 2>/dev/null || true
exec mosquitto -c /mosquitto/config/mosquitto.conf
