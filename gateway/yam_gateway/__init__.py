"""YAM Agri field gateway: MQTT sensors and scales of a site -> an on-disk queue -> the YAM Agri server."""

__version__ = "1.0.0"
