/* YAM Agri field page (/field): harvest lots and moisture readings captured on a phone, offline first.
 * Plain script, no Desk bundle. Captures wait in an IndexedDB outbox and are sent to
 * yam_agri_core.field.api.submit_captures with a key made here, so a repeated send stores nothing twice. */
(function () {
	"use strict";

	var BOOT = window.FIELD_BOOT || {};
	var STRINGS = BOOT.strings || {};
	var API = "/api/method/yam_agri_core.field.api.";
	var MAX_PHOTOS = 3;
	var PHOTO_EDGE = 1280;
	var PHOTO_QUALITY = 0.8;
	var BATCH_BYTES = 350000;
	var RETRY_MS = 30000;

	function __(text, args) {
		var out = STRINGS[text] || text;
		if (args) {
			out = out.replace(/\{(\d+)\}/g, function (m, i) {
				return args[i] == null ? "" : String(args[i]);
			});
		}
		return out;
	}

	/* a left-to-right value (number, code, season) kept whole inside Arabic text (Unicode isolates) */
	function ltr(value) {
		return "\u2066" + value + "\u2069";
	}

	/* in Arabic, each Latin or numeric run of a text (a season, a code, a lot name) kept whole */
	function bidi(text) {
		if (!BOOT.rtl || !text) return text || "";
		return String(text).replace(/[A-Za-z0-9][A-Za-z0-9._\/:-]*[A-Za-z0-9]/g, function (run) {
			return /[-._\/:]/.test(run) ? ltr(run) : run;
		});
	}

	function esc(value) {
		return String(value == null ? "" : value).replace(/[&<>"']/g, function (c) {
			return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
		});
	}

	function $(selector, root) {
		return (root || document).querySelector(selector);
	}

	function newKey() {
		var bytes = new Uint8Array(16);
		crypto.getRandomValues(bytes);
		return "f-" + Array.prototype.map.call(bytes, function (b) {
			return ("0" + b.toString(16)).slice(-2);
		}).join("");
	}

	function today() {
		var d = new Date();
		return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 10);
	}

	function cookie(name) {
		var found = document.cookie.split("; ").filter(function (c) {
			return c.indexOf(name + "=") === 0;
		})[0];
		return found ? decodeURIComponent(found.slice(name.length + 1)) : null;
	}

	function currentUser() {
		var user = cookie("user_id");
		return user && user !== "Guest" ? user : null;
	}

	// --- IndexedDB: the outbox and the cached pick lists ------------------------------------------------

	var dbPromise = null;

	function db() {
		if (!dbPromise) {
			dbPromise = new Promise(function (resolve, reject) {
				var open = indexedDB.open("yam-field", 1);
				open.onupgradeneeded = function () {
					open.result.createObjectStore("outbox", { keyPath: "key" });
					open.result.createObjectStore("cache", { keyPath: "id" });
				};
				open.onsuccess = function () {
					resolve(open.result);
				};
				open.onerror = function () {
					reject(open.error);
				};
			});
		}
		return dbPromise;
	}

	function store(name, mode, work) {
		return db().then(function (conn) {
			return new Promise(function (resolve, reject) {
				var tx = conn.transaction(name, mode);
				var request = work(tx.objectStore(name));
				tx.oncomplete = function () {
					resolve(request ? request.result : undefined);
				};
				tx.onerror = tx.onabort = function () {
					reject(tx.error);
				};
			});
		});
	}

	var idb = {
		all: function () {
			return store("outbox", "readonly", function (s) {
				return s.getAll();
			}).then(function (items) {
				return (items || []).sort(function (a, b) {
					return a.created < b.created ? -1 : a.created > b.created ? 1 : 0;
				});
			});
		},
		put: function (item) {
			return store("outbox", "readwrite", function (s) {
				return s.put(item);
			});
		},
		remove: function (key) {
			return store("outbox", "readwrite", function (s) {
				return s.delete(key);
			});
		},
		cached: function (id) {
			return store("cache", "readonly", function (s) {
				return s.get(id);
			}).then(function (row) {
				return row ? row.value : null;
			});
		},
		cache: function (id, value) {
			return store("cache", "readwrite", function (s) {
				return s.put({ id: id, value: value });
			});
		},
	};

	// --- state ----------------------------------------------------------------------------------------

	var state = {
		boot: null, // the pick lists (get_field_bootstrap), cached per user
		outbox: [],
		view: "lot",
		editing: null, // key of a refused item being corrected
		photos: [], // shrunk Blobs of the lot being captured
		gps: null,
		gpsStatus: "",
		sending: false,
		loggedOut: false,
		notice: "",
	};

	function online() {
		return navigator.onLine !== false;
	}

	function mine(item) {
		return item.user === currentUser();
	}

	function unsent() {
		return state.outbox.filter(function (item) {
			return mine(item) && item.state !== "sent";
		});
	}

	function siteLabel(site) {
		var name = BOOT.rtl && site.site_name_ar ? site.site_name_ar : site.site_name;
		return name ? name + " · " + site.name : site.name;
	}

	function cropLabel(crop) {
		return BOOT.rtl && crop.crop_name_ar ? crop.crop_name_ar : crop.name;
	}

	// --- server ---------------------------------------------------------------------------------------

	function call(method, options) {
		options = options || {};
		var headers = { Accept: "application/json" };
		var init = { method: options.body ? "POST" : "GET", credentials: "same-origin", headers: headers };
		if (options.body) {
			headers["Content-Type"] = "application/json";
			headers["X-Frappe-CSRF-Token"] = (state.boot && state.boot.csrf_token) || "";
			init.body = JSON.stringify(options.body);
		}
		return fetch(API + method + (options.query || ""), init).then(function (response) {
			return response
				.json()
				.catch(function () {
					return {};
				})
				.then(function (body) {
					if (response.ok) return body.message;
					var error = new Error(serverMessage(body) || response.statusText);
					error.status = response.status;
					error.excType = body.exc_type;
					throw error;
				});
		});
	}

	function serverMessage(body) {
		try {
			var messages = JSON.parse(body._server_messages || "[]").map(function (m) {
				return JSON.parse(m).message;
			});
			return messages.join(" · ").replace(/<[^>]+>/g, "");
		} catch (e) {
			return body.exception || "";
		}
	}

	function loadBoot() {
		var user = currentUser();
		var cachedPromise = user ? idb.cached("boot:" + user) : Promise.resolve(null);
		return cachedPromise.then(function (cached) {
			if (cached) state.boot = cached;
			if (!user) {
				state.loggedOut = true;
				return;
			}
			if (!online()) return;
			var query = "?version=" + encodeURIComponent((cached && cached.version) || "");
			return call("get_field_bootstrap", { query: query })
				.then(function (fresh) {
					if (!fresh.allowed) {
						state.boot = null;
						state.notice = fresh.message;
						return;
					}
					var boot = fresh.unchanged && cached ? Object.assign({}, cached, fresh) : fresh;
					delete boot.unchanged;
					state.boot = boot;
					state.loggedOut = false;
					return idb.cache("boot:" + boot.user, boot);
				})
				.catch(function (error) {
					if (error.status === 401 || error.status === 403) state.loggedOut = true;
				});
		});
	}

	// --- sending the outbox ---------------------------------------------------------------------------

	function blobToBase64(blob) {
		return new Promise(function (resolve, reject) {
			var reader = new FileReader();
			reader.onload = function () {
				resolve(String(reader.result).split(",")[1]);
			};
			reader.onerror = function () {
				reject(reader.error);
			};
			reader.readAsDataURL(blob);
		});
	}

	function payloadOf(item) {
		var data = Object.assign({}, item.data);
		return Promise.all(
			(item.photos || []).map(function (blob) {
				return blobToBase64(blob).then(function (b64) {
					return { data: b64 };
				});
			})
		).then(function (photos) {
			if (item.kind === "lot") data.photos = photos;
			return { key: item.key, kind: item.kind, data: data };
		});
	}

	function sendable() {
		var byKey = {};
		state.outbox.forEach(function (item) {
			byKey[item.key] = item;
		});
		var lots = [];
		var others = [];
		state.outbox.forEach(function (item) {
			if (!mine(item) || item.state !== "waiting") return;
			if (item.kind === "moisture" && item.data.lot_key) {
				var lot = byKey[item.data.lot_key];
				if (lot && lot.state === "refused") {
					item.message = __("Waits for its lot to be corrected");
					return;
				}
				item.message = "";
			}
			(item.kind === "lot" ? lots : others).push(item);
		});
		return lots.concat(others);
	}

	function sendNow() {
		if (state.sending || !currentUser()) return Promise.resolve();
		var queue = sendable();
		if (!queue.length) return Promise.resolve();
		state.sending = true;
		update();
		return sendQueue(queue, false)
			.catch(function (error) {
				if (error.status === 401 || error.status === 403) {
					state.notice = __("Log in again to send");
					state.loggedOut = true;
				} else if (error.status) {
					state.notice = __("Not sent: the server failed ({0}); it will try again", [error.status]);
				} else {
					state.notice = __("Not sent: no connection");
				}
			})
			.then(function () {
				state.sending = false;
				return refresh();
			});
	}

	function sendQueue(queue, retried) {
		var index = 0;
		function nextBatch() {
			if (index >= queue.length) return Promise.resolve();
			var batch = [];
			var bytes = 0;
			function take() {
				if (index >= queue.length) return Promise.resolve();
				return payloadOf(queue[index]).then(function (payload) {
					var size = JSON.stringify(payload).length;
					if (batch.length && bytes + size > BATCH_BYTES) return;
					batch.push(payload);
					bytes += size;
					index += 1;
					return take();
				});
			}
			return take()
				.then(function () {
					return call("submit_captures", { body: { items: batch } });
				})
				.then(applyResults)
				.then(nextBatch);
		}
		return nextBatch().catch(function (error) {
			if (!retried && error.excType === "CSRFTokenError") {
				return loadBoot().then(function () {
					return sendQueue(sendable(), true);
				});
			}
			throw error;
		});
	}

	function applyResults(answer) {
		var results = (answer && answer.results) || [];
		return Promise.all(
			results.map(function (result) {
				var item = state.outbox.filter(function (i) {
					return i.key === result.key;
				})[0];
				if (!item) return null;
				if (result.status === "refused") {
					item.state = "refused";
					item.message = result.message;
				} else {
					item.state = "sent";
					item.message = "";
					item.doctype = result.doctype;
					item.name = result.name;
					item.sent = new Date().toISOString();
					item.photos = []; // stored on the server; keep the phone's space
				}
				return idb.put(item);
			})
		);
	}

	function refresh() {
		return idb.all().then(function (items) {
			state.outbox = items;
			update();
		});
	}

	// --- GPS and photos -------------------------------------------------------------------------------

	function locate() {
		if (!navigator.geolocation) {
			state.gpsStatus = __("No GPS on this phone");
			return render();
		}
		state.gpsStatus = __("Finding the position…");
		renderGps();
		navigator.geolocation.getCurrentPosition(
			function (position) {
				state.gps = {
					latitude: position.coords.latitude,
					longitude: position.coords.longitude,
					accuracy: Math.round(position.coords.accuracy * 10) / 10,
				};
				state.gpsStatus = "";
				renderGps();
			},
			function () {
				state.gpsStatus = __("No position: the lot is saved without GPS");
				renderGps();
			},
			{ enableHighAccuracy: true, timeout: 30000, maximumAge: 60000 }
		);
	}

	function gpsText() {
		if (state.gps) {
			return __("GPS {0}, {1} (±{2} m)", [
				ltr(state.gps.latitude.toFixed(5)),
				ltr(state.gps.longitude.toFixed(5)),
				ltr(state.gps.accuracy),
			]);
		}
		return state.gpsStatus;
	}

	function renderGps() {
		var node = $("#gps-text");
		if (node) node.textContent = gpsText();
	}

	function loadImage(file) {
		if (window.createImageBitmap) {
			return createImageBitmap(file).catch(function () {
				return loadImageElement(file);
			});
		}
		return loadImageElement(file);
	}

	function loadImageElement(file) {
		return new Promise(function (resolve, reject) {
			var img = new Image();
			img.onload = function () {
				resolve(img);
			};
			img.onerror = reject;
			img.src = URL.createObjectURL(file);
		});
	}

	function shrink(file) {
		return loadImage(file).then(function (image) {
			var scale = Math.min(1, PHOTO_EDGE / Math.max(image.width, image.height));
			var canvas = document.createElement("canvas");
			canvas.width = Math.round(image.width * scale);
			canvas.height = Math.round(image.height * scale);
			canvas.getContext("2d").drawImage(image, 0, 0, canvas.width, canvas.height);
			return new Promise(function (resolve) {
				canvas.toBlob(resolve, "image/jpeg", PHOTO_QUALITY);
			});
		});
	}

	function addPhotos(files) {
		var room = MAX_PHOTOS - state.photos.length;
		var chosen = Array.prototype.slice.call(files || [], 0, Math.max(room, 0));
		if (files && files.length > room) state.notice = __("At most {0} photos per lot", [MAX_PHOTOS]);
		return chosen
			.reduce(function (done, file) {
				return done.then(function () {
					return shrink(file).then(function (blob) {
						if (blob) state.photos.push(blob);
					});
				});
			}, Promise.resolve())
			.then(render);
	}

	// --- saving captures ------------------------------------------------------------------------------

	function formValues(form) {
		var values = {};
		Array.prototype.forEach.call(form.elements, function (el) {
			if (el.name && el.type !== "file") values[el.name] = el.value.trim();
		});
		return values;
	}

	function editingItem() {
		return state.outbox.filter(function (i) {
			return i.key === state.editing;
		})[0];
	}

	function saveCapture(kind, form) {
		var values = formValues(form);
		var previous = editingItem();
		var item = previous || { key: newKey(), kind: kind, created: new Date().toISOString() };
		item.user = currentUser();
		item.state = "waiting";
		item.message = "";
		if (kind === "lot") {
			item.data = values;
			if (state.gps) item.data.gps = state.gps;
			else if (previous && previous.data.gps) item.data.gps = previous.data.gps;
			item.photos = state.photos.slice();
			item.title = [cropName(values.crop), values.declared_qty_kg ? __("{0} kg", [ltr(values.declared_qty_kg)]) : "", siteName(values.site)]
				.filter(Boolean)
				.join(" · ");
		} else {
			var lot = values.lot || "";
			item.data = {
				value: values.value,
				instrument: values.instrument,
				test_date: values.test_date,
				remarks: values.remarks,
			};
			if (lot.indexOf("key:") === 0) item.data.lot_key = lot.slice(4);
			else item.data.lot = lot.slice(5);
			item.title = __("Moisture {0} %", [ltr(values.value)]) + " · " + lotLabel(lot);
		}
		return idb.put(item).then(function () {
			state.editing = null;
			state.photos = [];
			state.reset = true;
			state.notice = online() ? __("Saved; sending…") : __("Saved on the phone; it will be sent when online");
			return refresh().then(function () {
				render();
				if (online()) return sendNow();
			});
		});
	}

	function siteName(name) {
		var site = ((state.boot && state.boot.sites) || []).filter(function (s) {
			return s.name === name;
		})[0];
		return site ? siteLabel(site) : name;
	}

	function cropName(name) {
		var crop = ((state.boot && state.boot.crops) || []).filter(function (c) {
			return c.name === name;
		})[0];
		return crop ? cropLabel(crop) : name;
	}

	function lotChoices() {
		var choices = [];
		state.outbox.forEach(function (item) {
			if (!mine(item) || item.kind !== "lot") return;
			if (item.name) choices.push({ value: "name:" + item.name, label: item.name + " · " + item.title });
			else choices.push({ value: "key:" + item.key, label: __("On this phone") + " · " + item.title });
		});
		var seen = {};
		choices.forEach(function (c) {
			seen[c.value] = true;
		});
		((state.boot && state.boot.lots) || []).forEach(function (lot) {
			if (seen["name:" + lot.name]) return;
			choices.push({
				value: "name:" + lot.name,
				label: [lot.name, cropName(lot.crop), lot.season, lot.site].filter(Boolean).join(" · "),
			});
		});
		return choices;
	}

	function lotLabel(value) {
		var choice = lotChoices().filter(function (c) {
			return c.value === value;
		})[0];
		return choice ? choice.label : value.replace(/^(key|name):/, "");
	}

	// --- rendering ------------------------------------------------------------------------------------

	function options(list, selected, blank) {
		var html = blank ? '<option value="">' + esc(blank) + "</option>" : "";
		return (
			html +
			list
				.map(function (o) {
					return (
						'<option value="' +
						esc(o.value) +
						'"' +
						(o.value === selected ? " selected" : "") +
						">" +
						esc(o.label) +
						"</option>"
					);
				})
				.join("")
		);
	}

	function field(label, control) {
		return '<label class="field"><span>' + esc(label) + "</span>" + control + "</label>";
	}

	function render() {
		var app = $("#app");
		if (!app) return;
		var open = $("#lot-form") || $("#moisture-form");
		var kept = open && !state.reset ? { id: open.id, values: formValues(open) } : null;
		state.reset = false;
		var boot = state.boot;
		var waiting = unsent().length;
		var html =
			'<header class="bar"><h1>' +
			esc(__("Field")) +
			'</h1><span class="net ' +
			(online() ? "on" : "off") +
			'" id="net">' +
			esc(online() ? __("Online") : __("Offline")) +
			"</span>" +
			(currentUser()
				? '<button type="button" class="link" id="logout">' + esc(__("Log out")) + "</button>"
				: "") +
			"</header>";
		html += '<p class="notice" id="notice"' + (state.notice ? "" : " hidden") + ">" + esc(state.notice) + "</p>";
		if (state.loggedOut || !currentUser()) {
			html += loginForm();
		} else if (!boot) {
			html += '<p class="empty">' + esc(__("Connect once to load your sites")) + "</p>";
		} else {
			html +=
				'<nav class="tabs">' +
				tab("lot", __("New lot")) +
				tab("moisture", __("Moisture")) +
				tab("outbox", outboxLabel(waiting)) +
				"</nav>";
			if (state.view === "lot") html += lotForm(boot);
			else if (state.view === "moisture") html += moistureForm(boot);
			else html += outboxView();
		}
		app.innerHTML = html;
		var again = kept && document.getElementById(kept.id);
		if (again) {
			Object.keys(kept.values).forEach(function (name) {
				if (again.elements[name]) again.elements[name].value = kept.values[name];
			});
		}
		bind();
	}

	function outboxLabel(waiting) {
		return __("Outbox") + (waiting ? " (" + waiting + ")" : "");
	}

	/* Redraw only the header, the notice and the outbox count while a form is open, so that a send in
	 * the background never takes the focus or the typed values away. */
	function update() {
		if (state.view === "outbox" || !$(".card form, form.card") || state.loggedOut || !state.boot) {
			return render();
		}
		var net = $("#net");
		net.className = "net " + (online() ? "on" : "off");
		net.textContent = online() ? __("Online") : __("Offline");
		var notice = $("#notice");
		notice.textContent = state.notice;
		notice.hidden = !state.notice;
		var outboxTab = $('[data-view="outbox"]');
		if (outboxTab) outboxTab.textContent = outboxLabel(unsent().length);
	}

	function tab(view, label) {
		return (
			'<button type="button" class="tab' +
			(state.view === view ? " active" : "") +
			'" data-view="' +
			view +
			'">' +
			esc(label) +
			"</button>"
		);
	}

	function loginForm() {
		return (
			'<form class="card" id="login-form">' +
			"<h2>" +
			esc(__("Log in")) +
			"</h2>" +
			field(__("Email or user name"), '<input name="usr" autocomplete="username" required>') +
			field(__("Password"), '<input name="pwd" type="password" autocomplete="current-password" required>') +
			'<button class="primary" type="submit">' +
			esc(__("Log in")) +
			"</button></form>"
		);
	}

	function lotForm(boot) {
		var item = editingItem();
		var v = item && item.kind === "lot" ? item.data : lastLotDefaults();
		var sites = boot.sites.map(function (s) {
			return { value: s.name, label: siteLabel(s) };
		});
		var crops = boot.crops.map(function (c) {
			return { value: c.name, label: cropLabel(c) };
		});
		var supplier = v.supplier || "";
		return (
			'<form class="card" id="lot-form" autocomplete="off">' +
			(item ? correcting(item) : "") +
			field(
				__("Site"),
				'<select name="site" required>' +
					options(sites, v.site || (sites.length === 1 ? sites[0].value : ""), __("Choose a site")) +
					"</select>"
			) +
			(sites.length ? "" : '<p class="error">' + esc(__("No site is granted to you")) + "</p>") +
			field(__("Crop"), '<select name="crop" required>' + options(crops, v.crop || "", __("Choose a crop")) + "</select>") +
			field(__("Variety"), '<input name="variety" value="' + esc(v.variety) + '">') +
			field(
				__("Season"),
				'<input name="season" list="seasons" placeholder="2026-Spring" value="' + esc(v.season) + '">' +
					'<datalist id="seasons">' +
					(boot.seasons || [])
						.map(function (s) {
							return '<option value="' + esc(s) + '">';
						})
						.join("") +
					"</datalist>"
			) +
			field(
				__("Declared Quantity (kg)"),
				'<input name="declared_qty_kg" type="number" inputmode="decimal" step="any" required value="' +
					esc(item ? v.declared_qty_kg : "") +
					'">'
			) +
			field(__("Harvest Date"), '<input name="harvest_date" type="date" value="' + esc(v.harvest_date || today()) + '">') +
			field(
				__("Supplier"),
				'<input name="supplier" id="supplier" type="search" placeholder="' +
					esc(__("Search farmers")) +
					'" value="' +
					esc(supplier) +
					'"><div class="suggest" id="supplier-list"></div>'
			) +
			field(__("Notes"), '<textarea name="notes" rows="2">' + esc(item ? v.notes : "") + "</textarea>") +
			'<div class="gps"><span id="gps-text">' +
			esc(gpsText()) +
			'</span> <button type="button" class="link" id="gps-refresh">' +
			esc(__("Refresh position")) +
			"</button></div>" +
			'<div class="photos">' +
			state.photos
				.map(function (blob, i) {
					return (
						'<figure><img alt="" src="' +
						URL.createObjectURL(blob) +
						'"><button type="button" class="remove" data-photo="' +
						i +
						'" aria-label="' +
						esc(__("Remove")) +
						'">×</button></figure>'
					);
				})
				.join("") +
			(state.photos.length < MAX_PHOTOS
				? '<label class="add-photo">' +
				  esc(__("Add photo ({0}/{1})", [state.photos.length, MAX_PHOTOS])) +
				  '<input id="photo-input" type="file" accept="image/*" capture="environment" multiple></label>'
				: "") +
			"</div>" +
			'<button class="primary" type="submit" id="save-lot">' +
			esc(__("Save lot")) +
			"</button></form>"
		);
	}

	function lastLotDefaults() {
		var last = state.outbox
			.filter(function (i) {
				return mine(i) && i.kind === "lot";
			})
			.pop();
		var d = last ? last.data : {};
		return { site: d.site, crop: d.crop, season: d.season, variety: d.variety, supplier: "" };
	}

	function moistureForm(boot) {
		var item = editingItem();
		var v = item && item.kind === "moisture" ? item.data : {};
		var lot = v.lot_key ? "key:" + v.lot_key : v.lot ? "name:" + v.lot : "";
		return (
			'<form class="card" id="moisture-form" autocomplete="off">' +
			(item ? correcting(item) : "") +
			field(__("Lot"), '<select name="lot" required>' + options(lotChoices(), lot, __("Choose a lot")) + "</select>") +
			field(
				__("Moisture (%)"),
				'<input name="value" type="number" inputmode="decimal" step="any" required value="' + esc(v.value) + '">'
			) +
			field(
				__("Instrument"),
				'<input name="instrument" list="instruments" value="' +
					esc(v.instrument) +
					'"><datalist id="instruments">' +
					(boot.instruments || [])
						.map(function (s) {
							return '<option value="' + esc(s) + '">';
						})
						.join("") +
					"</datalist>"
			) +
			field(__("Test Date"), '<input name="test_date" type="date" value="' + esc(v.test_date || today()) + '">') +
			field(__("Remarks"), '<textarea name="remarks" rows="2">' + esc(v.remarks) + "</textarea>") +
			'<button class="primary" type="submit" id="save-moisture">' +
			esc(__("Save reading")) +
			"</button></form>"
		);
	}

	function correcting(item) {
		return (
			'<p class="refused">' +
			esc(__("Correcting a refused capture")) +
			": " +
			esc(bidi(item.message)) +
			' <button type="button" class="link" id="cancel-edit">' +
			esc(__("Cancel")) +
			"</button></p>"
		);
	}

	var STATE_LABELS = { waiting: __("Waiting"), sent: __("Sent"), refused: __("Refused") };

	function outboxView() {
		var items = state.outbox.filter(mine).slice().reverse();
		var sent = items.filter(function (i) {
			return i.state === "sent";
		}).length;
		var html =
			'<section class="card"><div class="row"><button type="button" class="primary" id="send-now"' +
			(state.sending ? " disabled" : "") +
			">" +
			esc(state.sending ? __("Sending…") : __("Send now")) +
			"</button>" +
			(sent ? '<button type="button" class="link" id="clear-sent">' + esc(__("Clear sent")) + "</button>" : "") +
			"</div>";
		if (!items.length) html += '<p class="empty">' + esc(__("Nothing captured yet")) + "</p>";
		html += '<ul class="outbox" id="outbox">';
		items.forEach(function (item) {
			html +=
				'<li class="item ' +
				item.state +
				'" data-key="' +
				esc(item.key) +
				'" data-kind="' +
				item.kind +
				'"><div class="row"><strong>' +
				esc(item.kind === "lot" ? __("Lot") : __("Moisture")) +
				"</strong> <span class=\"badge\">" +
				esc(STATE_LABELS[item.state] || item.state) +
				"</span></div><div>" +
				esc(bidi(item.title)) +
				"</div>" +
				(item.name ? '<div class="name">' + esc(item.name) + "</div>" : "") +
				(item.kind === "lot" && item.photos && item.photos.length
					? '<div class="meta">' + esc(__("Photos: {0}", [item.photos.length])) + "</div>"
					: "") +
				(item.message ? '<div class="reason">' + esc(bidi(item.message)) + "</div>" : "") +
				(item.state === "refused"
					? '<div class="row"><button type="button" class="link correct">' +
					  esc(__("Correct")) +
					  '</button><button type="button" class="link delete">' +
					  esc(__("Delete")) +
					  "</button></div>"
					: "") +
				"</li>";
		});
		return html + "</ul></section>";
	}

	// --- events ---------------------------------------------------------------------------------------

	function bind() {
		Array.prototype.forEach.call(document.querySelectorAll(".tab"), function (button) {
			button.onclick = function () {
				state.view = button.getAttribute("data-view");
				state.notice = "";
				state.reset = true;
				render();
			};
		});
		var logout = $("#logout");
		if (logout) logout.onclick = logOut;
		var login = $("#login-form");
		if (login) login.onsubmit = logIn;
		var lotFormNode = $("#lot-form");
		if (lotFormNode) {
			lotFormNode.onsubmit = function (event) {
				event.preventDefault();
				saveCapture("lot", lotFormNode);
			};
			$("#gps-refresh").onclick = locate;
			var input = $("#photo-input");
			if (input) {
				input.onchange = function () {
					addPhotos(input.files);
				};
			}
			Array.prototype.forEach.call(document.querySelectorAll("[data-photo]"), function (button) {
				button.onclick = function () {
					state.photos.splice(Number(button.getAttribute("data-photo")), 1);
					render();
				};
			});
			bindSupplier();
		}
		var moisture = $("#moisture-form");
		if (moisture) {
			moisture.onsubmit = function (event) {
				event.preventDefault();
				saveCapture("moisture", moisture);
			};
		}
		var cancel = $("#cancel-edit");
		if (cancel) {
			cancel.onclick = function () {
				state.editing = null;
				state.photos = [];
				state.view = "outbox";
				state.reset = true;
				render();
			};
		}
		var send = $("#send-now");
		if (send) send.onclick = sendNow;
		var clear = $("#clear-sent");
		if (clear) {
			clear.onclick = function () {
				Promise.all(
					state.outbox
						.filter(function (i) {
							return mine(i) && i.state === "sent";
						})
						.map(function (i) {
							return idb.remove(i.key);
						})
				).then(refresh);
			};
		}
		Array.prototype.forEach.call(document.querySelectorAll(".outbox .item"), function (li) {
			var key = li.getAttribute("data-key");
			var correct = $(".correct", li);
			if (correct) {
				correct.onclick = function () {
					var item = state.outbox.filter(function (i) {
						return i.key === key;
					})[0];
					state.editing = key;
					state.reset = true;
					state.view = item.kind;
					state.photos = (item.photos || []).slice();
					state.gps = item.data.gps || state.gps;
					render();
				};
			}
			var del = $(".delete", li);
			if (del) {
				del.onclick = function () {
					if (window.confirm(__("Delete this capture from the phone? It was never stored."))) {
						idb.remove(key).then(refresh);
					}
				};
			}
		});
	}

	var searchTimer = null;

	function bindSupplier() {
		var input = $("#supplier");
		var list = $("#supplier-list");
		if (!input) return;
		input.oninput = function () {
			showSuppliers(input, list);
			clearTimeout(searchTimer);
			var text = input.value.trim();
			if (text.length < 2 || !online()) return;
			searchTimer = setTimeout(function () {
				call("search_suppliers", { query: "?txt=" + encodeURIComponent(text) })
					.then(function (found) {
						mergeSuppliers(found || []);
						if (document.activeElement === input) showSuppliers(input, list);
					})
					.catch(function () {});
			}, 400);
		};
		list.onclick = function (event) {
			var value = event.target.getAttribute("data-value");
			if (value) {
				input.value = value;
				list.innerHTML = "";
			}
		};
	}

	function mergeSuppliers(found) {
		var boot = state.boot;
		var known = {};
		boot.suppliers.forEach(function (s) {
			known[s.name] = true;
		});
		var added = found.filter(function (s) {
			return !known[s.name];
		});
		if (!added.length) return;
		boot.suppliers = boot.suppliers.concat(added);
		idb.cache("boot:" + boot.user, boot);
	}

	function showSuppliers(input, list) {
		var text = input.value.trim().toLowerCase();
		if (!text) {
			list.innerHTML = "";
			return;
		}
		var matches = state.boot.suppliers
			.filter(function (s) {
				return (s.name + " " + (s.supplier_name || "")).toLowerCase().indexOf(text) !== -1;
			})
			.slice(0, 8);
		list.innerHTML = matches
			.map(function (s) {
				var label = s.supplier_name && s.supplier_name !== s.name ? s.supplier_name + " · " + s.name : s.name;
				return '<button type="button" data-value="' + esc(s.name) + '">' + esc(label) + "</button>";
			})
			.join("");
	}

	function logIn(event) {
		event.preventDefault();
		var form = event.target;
		var body = new URLSearchParams({ usr: form.elements.usr.value, pwd: form.elements.pwd.value });
		fetch("/api/method/login", {
			method: "POST",
			credentials: "same-origin",
			headers: { Accept: "application/json" },
			body: body,
		})
			.then(function (response) {
				if (!response.ok) throw new Error(__("Wrong user name or password"));
				state.loggedOut = false;
				state.notice = "";
				return loadBoot();
			})
			.catch(function (error) {
				state.notice = online() ? error.message : __("Offline: log in when the link returns");
			})
			.then(function () {
				render();
				sendNow();
			});
	}

	function logOut() {
		var count = unsent().length;
		if (count && !window.confirm(__("{0} captures are not sent yet; they stay on this phone until you log in again and send them. Log out anyway?", [count]))) {
			return;
		}
		var headers = { Accept: "application/json", "X-Frappe-CSRF-Token": (state.boot && state.boot.csrf_token) || "" };
		fetch("/api/method/logout", { method: "POST", credentials: "same-origin", headers: headers })
			.catch(function () {})
			.then(function () {
				state.boot = null;
				state.loggedOut = true;
				render();
			});
	}

	function onNetwork() {
		state.notice = "";
		update();
		if (online()) {
			loadBoot().then(function () {
				update();
				return sendNow();
			});
		}
	}

	function registerWorker() {
		if (!("serviceWorker" in navigator) || !BOOT.sw) return;
		navigator.serviceWorker.register(BOOT.sw, { scope: BOOT.scope }).catch(function () {});
	}

	function start() {
		window.addEventListener("online", onNetwork);
		window.addEventListener("offline", onNetwork);
		Promise.all([refresh(), loadBoot()])
			.catch(function () {})
			.then(function () {
				render();
				locate();
				registerWorker();
				window.yamField = { ready: true, state: state, sendNow: sendNow, refresh: refresh, idb: idb };
				document.documentElement.setAttribute("data-field-ready", "1");
				return sendNow();
			});
		setInterval(function () {
			if (online() && !state.sending && sendable().length) sendNow();
		}, RETRY_MS);
	}

	if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
	else start();
})();
