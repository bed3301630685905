"""Browser tests in headless Chromium against a real bench site (skipped without one).

    YAM_BROWSER_URL=http://127.0.0.1:8020 YAM_BROWSER_SITE=brw.test python -m pytest tests/browser

Environment: YAM_BROWSER_URL, YAM_BROWSER_SITE (required); YAM_BROWSER_PASSWORD (the personas', default
the setup step's), YAM_BROWSER_ADMIN_PASSWORD (default "admin"), YAM_BROWSER_CHROMIUM (default
/usr/bin/chromium), YAM_BROWSER_SHOTS (folder for the README's screenshots, e.g. docs/screenshots),
YAM_BROWSER_PERSONAS / YAM_BROWSER_LANGS (comma lists to narrow the matrix). The site is prepared with
``bench --site SITE execute yam_agri_core.tests.browser_setup.prepare``.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from browser_support import DEFAULT_PASSWORD, README_SHOTS, slug

HERE = Path(__file__).resolve().parent
SKIP_REASON = (
	"browser suite skipped: YAM_BROWSER_URL and YAM_BROWSER_SITE are not set (e.g. "
	"YAM_BROWSER_URL=http://127.0.0.1:8020 YAM_BROWSER_SITE=brw.test, a bench site prepared with "
	"`bench --site SITE execute yam_agri_core.tests.browser_setup.prepare`; see tests/browser/serve_and_run.sh)"
)


def why_skip() -> str | None:
	if not (os.environ.get("YAM_BROWSER_URL") and os.environ.get("YAM_BROWSER_SITE")):
		return SKIP_REASON
	try:
		import playwright.sync_api  # noqa: F401
		import requests  # noqa: F401
	except ImportError as error:
		return f"browser suite skipped: {error.name} is not importable by {sys.executable} (needs playwright, requests)"
	return None


def _case_key(item) -> tuple:
	params = getattr(getattr(item, "callspec", None), "params", {})
	return (str(params.get("persona", "")), str(params.get("lang", "")))


def pytest_collection_modifyitems(config, items):
	mine = [index for index, item in enumerate(items) if HERE in Path(str(item.fspath)).parents]
	reason = why_skip()
	if reason:
		for index in mine:
			items[index].add_marker(pytest.mark.skip(reason=reason))
		return
	ordered = sorted((items[index] for index in mine), key=_case_key)
	for index, item in zip(mine, ordered, strict=True):
		items[index] = item


class BrowserEnv:
	def __init__(self):
		self.url = os.environ["YAM_BROWSER_URL"].rstrip("/")
		self.site = os.environ["YAM_BROWSER_SITE"]
		self.password = os.environ.get("YAM_BROWSER_PASSWORD") or DEFAULT_PASSWORD
		self.admin_password = os.environ.get("YAM_BROWSER_ADMIN_PASSWORD") or "admin"
		self.readme_dir = (
			Path(os.environ["YAM_BROWSER_SHOTS"]) if os.environ.get("YAM_BROWSER_SHOTS") else None
		)
		self.shot_dir = Path(tempfile.mkdtemp(prefix="yam-browser-shots-"))
		from browser_rest import Rest

		self.admin = Rest(self.url, "Administrator", self.admin_password)

	def shot_path(self, kind: str, name: str, persona: str, lang: str) -> Path:
		readme_name = README_SHOTS.get((kind, name))
		if self.readme_dir and readme_name and persona == "qa":
			self.readme_dir.mkdir(parents=True, exist_ok=True)
			return self.readme_dir / f"{readme_name}-{lang}.png"
		return self.shot_dir / f"{slug(kind)}-{slug(name)}-{persona}-{lang}.png"


@pytest.fixture(scope="session")
def browser_env():
	env = BrowserEnv()
	print(f"\nbrowser suite: {env.url} (site {env.site}); screenshots in {env.shot_dir}")
	return env


@pytest.fixture(scope="session")
def desk_pool(browser_env):
	from browser_desk import CHROMIUM_ARGS, DeskPool
	from browser_support import PERSONAS
	from playwright.sync_api import sync_playwright

	languages = {email: browser_env.admin.user_info(email)[2] for email in PERSONAS.values()}
	with sync_playwright() as playwright:
		browser = playwright.chromium.launch(
			executable_path=os.environ.get("YAM_BROWSER_CHROMIUM") or "/usr/bin/chromium", args=CHROMIUM_ARGS
		)
		pool = DeskPool(browser, browser_env)
		yield pool
		pool.close()
		browser.close()
	for persona in pool.personas.values():  # only those this run switched (parallel runs share the site)
		browser_env.admin.set_language(persona.email, languages[persona.email])


@pytest.fixture
def desk(desk_pool, persona, lang):
	return desk_pool.desk(persona, lang)
