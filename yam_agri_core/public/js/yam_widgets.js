// Workspace widgets (number cards and charts) that stay right when the page or the network moves.
//
// 1. A request cut by the network (Chromium's net::ERR_NETWORK_CHANGED, a dropped connection: status 0)
//    left a card on "Loading..." (or blank, when the card's own record was being read) for good and
//    raised an "undefined" page error per card (frappe.xcall rejects with nothing). Reads that are safe
//    to repeat (GET requests, and the POSTed reads of cards and charts) are asked again, twice at most;
//    a card that still cannot load says so instead of loading forever.
(function () {
	if (!window.frappe || !frappe.request || !frappe.request.call || frappe.request.call.yam_retrying) return;
	const READ_ONLY = [
		"frappe.desk.doctype.number_card.number_card.get_result",
		"frappe.desk.doctype.number_card.number_card.get_percentage_difference",
		"frappe.desk.doctype.dashboard_chart.dashboard_chart.get",
		"frappe.desk.doctype.dashboard_chart_source.dashboard_chart_source.get_config",
		"frappe.desk.query_report.run",
		"frappe.desk.desktop.get_desktop_page",
		"frappe.desk.desktop.get_workspace_sidebar_items",
		"frappe.desk.reportview.get",
		"frappe.desk.reportview.get_count",
	];
	const ATTEMPTS = 3;
	const request_call = frappe.request.call;
	const repeatable = (opts) => {
		// frappe.call moves the method into the URL (/api/method/<method>)
		const found = /\/api\/(?:v\d+\/)?method\/([^?#]+)/.exec(opts.url || "");
		const method = found ? decodeURIComponent(found[1]) : opts.args && opts.args.cmd;
		return (
			String(opts.type || "").toUpperCase() === "GET" ||
			READ_ONLY.includes(method) ||
			(typeof method === "string" && /^yam_agri_core\.desk\.(cards|charts)\./.test(method))
		);
	};

	frappe.request.call = function (opts, attempt = 1) {
		if (!opts || !repeatable(opts)) return request_call.apply(this, arguments);
		// frappe.request.prepare changes opts (args stringified, callbacks moved): a retry starts from a copy
		const fresh = Object.assign({}, opts, { args: Object.assign({}, opts.args) });
		const error = opts.error;
		opts.error = function (xhr) {
			if (xhr && xhr.status === 0 && attempt < ATTEMPTS) {
				setTimeout(() => frappe.request.call(fresh, attempt + 1), 300 * attempt); // cut: ask again
				return;
			}
			return error && error.apply(this, arguments);
		};
		return request_call.call(this, opts);
	};
	frappe.request.call.yam_retrying = true;

	const Card = frappe.widget && frappe.widget.widget_factory && frappe.widget.widget_factory.number_card;
	if (Card && !Card.prototype.render_card.yam_guarded) {
		const render_card = Card.prototype.render_card;
		Card.prototype.render_card = function () {
			return Promise.resolve(render_card.apply(this, arguments)).catch(() => {
				$(this.body).html(
					`<div class="yam-card-failed text-muted">${__("This card could not be loaded; refresh the page")}</div>`
				);
			});
		};
		Card.prototype.render_card.yam_guarded = true;
	}
})();

// 2. Charts drawn while hidden: a workspace chart whose data arrives after the user has moved to another page
// is created in a hidden container (width 0), and frappe-charts then fills the console with SVG errors
// ("<rect> attribute width: Expected length, "NaN"", 60 to 135 of them). Desk's chart widgets create their
// charts through frappe.utils.make_chart: here a chart asked for in a hidden container is created when
// the container is shown (frappe-charts already skips redraws while hidden), its data kept up to date.
(function () {
	if (!window.frappe || !frappe.utils || !frappe.utils.make_chart || frappe.utils.make_chart.yam_deferred) {
		return;
	}
	const make_chart = frappe.utils.make_chart;
	const is_shown = (el) => !!el && el.isConnected && el.offsetParent !== null && el.offsetWidth > 0;

	class YamDeferredChart {
		constructor(wrapper, options, context) {
			this.wrapper = wrapper;
			this.options = options;
			this.context = context;
			this.chart = null;
			this.observer = new ResizeObserver(() => this.create_when_shown());
			this.observer.observe(wrapper);
			return new Proxy(this, {
				get(target, prop) {
					if (prop in target) return target[prop];
					const chart = target.create_when_shown(true);
					const value = chart ? chart[prop] : undefined;
					return typeof value === "function" ? value.bind(chart) : value;
				},
			});
		}

		create_when_shown(force = false) {
			if (!this.chart && (force || is_shown(this.wrapper))) {
				this.observer.disconnect();
				this.chart = make_chart.call(this.context, this.wrapper, this.options);
			}
			return this.chart;
		}

		update(data) {
			if (this.chart) return this.chart.update(data);
			this.options = Object.assign({}, this.options, { data: data });
		}

		destroy() {
			this.observer.disconnect();
			if (this.chart && this.chart.destroy) this.chart.destroy();
		}
	}

	frappe.utils.make_chart = function (wrapper, custom_options = {}) {
		if (!wrapper || is_shown(wrapper) || typeof ResizeObserver === "undefined") {
			return make_chart.call(this, wrapper, custom_options);
		}
		return new YamDeferredChart(wrapper, custom_options, this);
	};
	frappe.utils.make_chart.yam_deferred = true;
})();
