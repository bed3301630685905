// Desk's Log out warns when the field page (/field) still holds captures of this user on this device
// that were not sent (its IndexedDB outbox, same origin); logging out from the field page warns the same.
(function () {
	var Application = window.frappe && frappe.Application;
	if (!Application || !window.indexedDB || !indexedDB.databases) return;

	function unsentCaptures() {
		return indexedDB
			.databases()
			.then(function (databases) {
				// never open a database the field page has not made (that would create an empty one)
				if (!databases.some((db) => db.name === "yam-field")) return 0;
				return new Promise(function (resolve) {
					var open = indexedDB.open("yam-field");
					open.onerror = () => resolve(0);
					open.onsuccess = function () {
						var db = open.result;
						if (!db.objectStoreNames.contains("outbox")) {
							db.close();
							return resolve(0);
						}
						var request = db.transaction("outbox", "readonly").objectStore("outbox").getAll();
						request.onerror = () => resolve(0);
						request.onsuccess = function () {
							db.close();
							resolve(
								(request.result || []).filter(
									(item) => item.user === frappe.session.user && item.state !== "sent"
								).length
							);
						};
					};
				});
			})
			.catch(() => 0);
	}

	var logout = Application.prototype.logout;
	Application.prototype.logout = function () {
		var app = this;
		return unsentCaptures().then(function (count) {
			if (!count) return logout.call(app);
			frappe.confirm(
				__(
					"{0} captures of the field page are not sent yet; they stay on this device until you log in again and send them. Log out anyway?",
					[count]
				),
				() => logout.call(app)
			);
		});
	};
})();
