"""The farm supervisor's field page (``/field``): an offline-capable phone page and its server methods."""
