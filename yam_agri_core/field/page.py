"""The field page's shell: its strings, asset version, service worker and web app manifest.

``/field`` itself is a ``www`` page (``www/field/index.html``); its script and style are plain files in
``public/field/`` (no Desk bundle). The service worker must be served under ``/field`` so that its scope
covers the page, and the manifest is translated, so both come from :class:`FieldFileRenderer`
(a ``page_renderer`` hook) rather than from ``/assets``.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import lru_cache
from pathlib import Path

import frappe
from frappe import _
from frappe.utils.jinja_globals import is_rtl
from frappe.website.page_renderers.base_renderer import BaseRenderer
from werkzeug.wrappers import Response

PUBLIC = Path(__file__).resolve().parents[1] / "public" / "field"
ASSETS = "/assets/yam_agri_core/field"
SCOPE = "/field"
SW_PATH = "field/sw.js"
MANIFEST_PATH = "field/manifest.webmanifest"
#: the shell's files, cached by the service worker (versioned by their content)
SHELL_FILES = ("field.js", "field.css")
ICONS = ((192, "icon-192.png"), (512, "icon-512.png"))
JS_STRING = re.compile(r'__\(\s*"((?:[^"\\]|\\.)*)"')


def _stamp(name: str) -> tuple[str, float]:
	path = PUBLIC / name
	return (name, path.stat().st_mtime)


@lru_cache(maxsize=8)
def _version_of(stamps: tuple) -> str:
	digest = hashlib.sha1()
	for name, _mtime in stamps:
		digest.update((PUBLIC / name).read_bytes())
	digest.update((PUBLIC / "sw.js").read_bytes())
	return digest.hexdigest()[:12]


def asset_version() -> str:
	"""A hash of the shell's files: it changes the asset URLs and the service worker together."""
	return _version_of(tuple(_stamp(name) for name in (*SHELL_FILES, "sw.js")))


def asset_url(name: str) -> str:
	return f"{ASSETS}/{name}?v={asset_version()}"


@lru_cache(maxsize=4)
def _js_strings(stamp: tuple) -> tuple[str, ...]:
	text = (PUBLIC / "field.js").read_text(encoding="utf-8")
	return tuple(dict.fromkeys(json.loads(f'"{m}"') for m in JS_STRING.findall(text)))


def page_strings() -> dict[str, str]:
	"""The page script's strings (every ``__("...")`` in field.js) in the user's language."""
	strings = _js_strings(_stamp("field.js"))
	return {s: t for s in strings if (t := _(s)) != s}


def shell_urls() -> list[str]:
	return [SCOPE, asset_url("field.js"), asset_url("field.css"), f"/{MANIFEST_PATH}"] + [
		f"{ASSETS}/{name}" for _size, name in ICONS
	]


def page_context() -> dict:
	lang = frappe.local.lang or "en"
	context = {
		"lang": lang,
		"dir": "rtl" if is_rtl() else "ltr",
		"title": _("Field"),
		"css_url": asset_url("field.css"),
		"js_url": asset_url("field.js"),
		"icon_url": f"{ASSETS}/icon-192.png",
		"boot": {
			"lang": lang,
			"rtl": is_rtl(),
			"version": asset_version(),
			"sw": f"/{SW_PATH}",
			"scope": SCOPE,
			"strings": page_strings(),
		},
	}
	# UTF-8 rather than \u escapes (Arabic at half the bytes); "<" escaped so no string closes the script
	context["boot_json"] = json.dumps(context["boot"], ensure_ascii=False).replace("<", "\\u003c")
	return context


def service_worker_source() -> str:
	source = (PUBLIC / "sw.js").read_text(encoding="utf-8")
	return source.replace('"__VERSION__"', json.dumps(asset_version())).replace(
		"__SHELL__", json.dumps(shell_urls())
	)


def manifest() -> dict:
	return {
		"name": _("YAM Agri Field"),
		"short_name": _("Field"),
		"description": _("Harvest lots and moisture readings, captured offline"),
		"lang": frappe.local.lang or "en",
		"dir": "rtl" if is_rtl() else "ltr",
		"start_url": SCOPE,
		"scope": SCOPE,
		"display": "standalone",
		"orientation": "portrait",
		"background_color": "#f4f1e8",
		"theme_color": "#2f6b35",
		"icons": [
			{
				"src": f"{ASSETS}/{name}",
				"sizes": f"{size}x{size}",
				"type": "image/png",
				"purpose": "any maskable",
			}
			for size, name in ICONS
		],
	}


class FieldFileRenderer(BaseRenderer):
	"""Serves ``/field/sw.js`` (scope ``/field``) and ``/field/manifest.webmanifest``."""

	def can_render(self) -> bool:
		return self.path in (SW_PATH, MANIFEST_PATH)

	def render(self) -> Response:
		if self.path == SW_PATH:
			response = Response(service_worker_source(), mimetype="application/javascript")
			response.headers["Service-Worker-Allowed"] = SCOPE
		else:
			response = Response(
				json.dumps(manifest(), ensure_ascii=False), mimetype="application/manifest+json"
			)
		response.headers["Cache-Control"] = "no-cache"
		return response
