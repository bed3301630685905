"""The field page's shell contract: what the phone downloads and caches (no Frappe needed).

The page is a ``www`` page with its own plain script and style (no Desk bundle), a web app manifest and
a service worker served under ``/field`` so that its scope covers the page (``FieldFileRenderer``)."""

from __future__ import annotations

import ast
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[1] / "yam_agri_core"
PUBLIC = APP / "public" / "field"
PAGE = APP / "www" / "field" / "index.html"
#: what a first visit downloads before gzip: the page, its script and style (the goal is < 150 KB on
#: the wire with the pick lists; this keeps the shell well inside it)
SHELL_BUDGET = 60 * 1024


def constants(path: Path) -> dict:
	found = {}
	for node in ast.parse(path.read_text(encoding="utf-8")).body:
		if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
			try:
				found[node.targets[0].id] = ast.literal_eval(node.value)
			except ValueError:
				pass
	return found


def test_hooks_register_the_renderer_of_the_service_worker_and_manifest():
	hooks = constants(APP / "hooks.py")
	assert "yam_agri_core.field.page.FieldFileRenderer" in hooks["page_renderer"]
	page = constants(APP / "field" / "page.py")
	assert page["SCOPE"] == "/field"
	assert page["SW_PATH"] == "field/sw.js" and page["MANIFEST_PATH"] == "field/manifest.webmanifest"
	assert "/assets/yam_agri_core/field/desk_outbox.js" in hooks["app_include_js"]
	assert (PUBLIC / "desk_outbox.js").is_file()
	source = (APP / "field" / "page.py").read_text(encoding="utf-8")
	assert 'response.headers["Service-Worker-Allowed"] = SCOPE' in source
	assert 'mimetype="application/javascript"' in source


def test_page_loads_only_its_own_small_files():
	html = PAGE.read_text(encoding="utf-8")
	assert '<html lang="{{ lang }}" dir="{{ dir }}">' in html
	assert 'href="/field/manifest.webmanifest"' in html
	assert "</body>" in html  # a complete page: Frappe does not wrap it in the website's base template
	assert "/assets/frappe" not in html and "extends" not in html
	script = (PUBLIC / "field.js").read_text(encoding="utf-8")
	assert not re.search(r"\bfrappe\.", script), "no Desk API in the field page"
	size = sum(len((PUBLIC / n).read_bytes()) for n in ("field.js", "field.css")) + len(html.encode())
	assert size < SHELL_BUDGET, size


def test_service_worker_caches_the_shell_and_leaves_the_api_to_the_network():
	sw = (PUBLIC / "sw.js").read_text(encoding="utf-8")
	assert 'var VERSION = "__VERSION__";' in sw and "var SHELL = __SHELL__;" in sw
	assert 'if (request.method !== "GET") return;' in sw
	assert "/api/" not in sw  # API calls are never answered from the cache
	assert "cache.addAll(SHELL)" in sw and "caches.delete" in sw


def test_desk_logout_never_creates_the_field_database():
	script = (PUBLIC / "desk_outbox.js").read_text(encoding="utf-8")
	assert 'databases.some((db) => db.name === "yam-field")' in script
	assert script.index(".databases()") < script.index('indexedDB.open("yam-field")')


def test_the_page_registers_the_worker_with_the_page_scope_and_keys_each_capture():
	script = (PUBLIC / "field.js").read_text(encoding="utf-8")
	assert "navigator.serviceWorker.register(BOOT.sw, { scope: BOOT.scope })" in script
	assert "crypto.getRandomValues" in script  # the capture key, made on the phone
	assert '"yam_agri_core.field.api."' in script or "/api/method/yam_agri_core.field.api." in script
	assert 'call("submit_captures"' in script and 'call("get_field_bootstrap"' in script
	assert '"image/jpeg", PHOTO_QUALITY' in script and "PHOTO_EDGE = 1280" in script


@pytest.mark.parametrize("size", [192, 512])
def test_icons_are_pngs_of_their_size(size):
	data = (PUBLIC / f"icon-{size}.png").read_bytes()
	assert data.startswith(b"\x89PNG\r\n\x1a\n")
	width, height = struct.unpack(">II", data[16:24])
	assert (width, height) == (size, size)


@pytest.mark.skipif(not shutil.which("node"), reason="node is not installed")
@pytest.mark.parametrize("name", ["field.js", "sw.js", "desk_outbox.js"])
def test_scripts_parse(name, tmp_path):
	source = (PUBLIC / name).read_text(encoding="utf-8").replace("__SHELL__", '["/field"]')
	path = tmp_path / name
	path.write_text(source, encoding="utf-8")
	subprocess.run(["node", "--check", str(path)], check=True)
