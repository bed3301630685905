"""One persona logged into Desk in one language, in headless Chromium; the errors its pages raise."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from browser_rest import Rest
from browser_support import PERSONAS, is_app_error

CHROMIUM_ARGS = [
	"--headless",
	"--no-sandbox",
	"--disable-gpu",
	"--no-first-run",
	"--disable-background-networking",
]
IDLE = (
	"() => window.frappe && frappe.request && !frappe.request.ajax_count"
	" && ![...document.querySelectorAll('.freeze')].some(e => e.offsetParent !== null)"
)


@dataclass
class Persona:
	key: str
	email: str
	roles: set
	sites: list
	rest: Rest


class Desk:
	"""A browser context logged in as ``persona`` with Desk in ``lang``."""

	def __init__(self, browser, env, persona: Persona, lang: str):
		self.env = env
		self.persona = persona
		self.lang = lang
		self.errors: list[str] = []
		self.context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale=lang)
		self.page = self.context.new_page()
		self.page.set_default_timeout(30000)
		self.page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))
		self.page.on("console", self._console)
		self._login()

	def _console(self, message) -> None:
		if is_app_error(message):
			where = (message.location or {}).get("url", "")
			self.errors.append(f"console: {message.text} {where}".strip())

	def _login(self) -> None:
		self.page.goto(f"{self.env.url}/login")
		self.page.fill("#login_email", self.persona.email)
		self.page.fill("#login_password", self.env.password)
		self.page.click(".btn-login")
		self.page.wait_for_url("**/app**", timeout=60000)
		self.wait_idle()

	def close(self) -> None:
		self.context.close()

	# --------------------------------------------------------------------------------------- navigation

	def wait_idle(self, settle_ms: int = 500) -> None:
		self.page.wait_for_function(IDLE, timeout=60000)
		self.page.wait_for_timeout(settle_ms)
		self.page.wait_for_function(IDLE, timeout=60000)

	def open(self, path: str) -> int:
		"""Load ``path`` (a full page load); returns the error mark to check after."""
		mark = len(self.errors)
		self.page.goto(f"{self.env.url}{path}", wait_until="domcontentloaded")
		self.wait_idle()
		return mark

	def route(self, *parts, route_options: dict | None = None) -> int:
		"""Go to a Desk route the way a click does (no reload); returns the error mark."""
		mark = len(self.errors)
		self.page.evaluate(
			"([parts, options]) => { if (options) frappe.route_options = options; frappe.set_route(...parts); }",
			[list(parts), route_options],
		)
		self.page.wait_for_timeout(300)
		self.wait_idle()
		return mark

	def js(self, expression: str, arg=None):
		return self.page.evaluate(expression, arg)

	# --------------------------------------------------------------------------------------- checks

	def direction(self) -> str:
		return self.js(
			"() => document.documentElement.getAttribute('dir') || getComputedStyle(document.body).direction"
		)

	def assert_clean(self, mark: int, what: str) -> None:
		"""No JavaScript error since ``mark`` and the page's direction is the language's."""
		errors = self.errors[mark:]
		assert not errors, f"{what} ({self.persona.key}, {self.lang}) raised: " + " | ".join(errors)
		want = "rtl" if self.lang == "ar" else "ltr"
		assert self.direction() == want, f"{what} ({self.persona.key}, {self.lang}) is not {want}"

	def shot(self, kind: str, name: str, full_page: bool = False) -> Path:
		"""A screenshot; the README's pages of the QA manager also go to YAM_BROWSER_SHOTS."""
		path = self.env.shot_path(kind, name, self.persona.key, self.lang)
		self.page.screenshot(path=str(path), full_page=full_page)
		return path


class DeskPool:
	"""Keeps one Desk open at a time (tests are ordered by persona and language, so few logins)."""

	def __init__(self, browser, env):
		self.browser = browser
		self.env = env
		self.current: Desk | None = None
		self.personas: dict[str, Persona] = {}

	def persona(self, key: str) -> Persona:
		if key not in self.personas:
			email = PERSONAS[key]
			roles, sites, _lang = self.env.admin.user_info(email)
			self.personas[key] = Persona(
				key, email, roles, sites, Rest(self.env.url, email, self.env.password)
			)
		return self.personas[key]

	def desk(self, key: str, lang: str) -> Desk:
		current = self.current
		if current and (current.persona.key, current.lang) == (key, lang):
			return current
		if current:
			current.close()
			self.current = None
		persona = self.persona(key)
		self.env.admin.set_language(persona.email, lang)
		self.current = Desk(self.browser, self.env, persona, lang)
		return self.current

	def close(self) -> None:
		if self.current:
			self.current.close()
			self.current = None
