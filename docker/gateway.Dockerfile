# yam-gateway: the field hub's MQTT -> server forwarder (compose service "gateway", profiles field and dev).
# Small and pinned: Python slim, two libraries; the queue lives in the volume at /var/lib/yam-gateway.
FROM python:3.11.11-slim-bookworm

RUN pip install --no-cache-dir "paho-mqtt==2.1.0" "requests==2.32.3" "tzdata==2025.2" \
	&& useradd --system --home-dir /var/lib/yam-gateway --create-home --uid 10001 gateway

COPY gateway/pyproject.toml /opt/yam-gateway/pyproject.toml
COPY gateway/yam_gateway /opt/yam-gateway/yam_gateway
RUN pip install --no-cache-dir --no-deps /opt/yam-gateway

USER gateway
WORKDIR /var/lib/yam-gateway
ENV YAM_GW_QUEUE_PATH=/var/lib/yam-gateway/queue.sqlite3 \
	YAM_GW_STATUS_BIND=127.0.0.1 \
	YAM_GW_STATUS_PORT=8099 \
	PYTHONUNBUFFERED=1
VOLUME ["/var/lib/yam-gateway"]
HEALTHCHECK --interval=30s --timeout=5s --retries=3 CMD ["yam-gateway", "healthcheck"]
# SIGTERM: finishes the batch in flight, then exits; the queue is safe at any moment anyway (kill -9 too)
STOPSIGNAL SIGTERM
CMD ["yam-gateway", "run"]
