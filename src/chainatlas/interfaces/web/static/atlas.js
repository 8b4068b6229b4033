/* chainatlas web atlas: picks a result table, indicator, economies, sector and years, asks the
   read-only server (/api/query) and shows a chart, a table and a CSV link. */
(function () {
  "use strict";
  var ECONOMY_COLUMNS = ["country", "exporter", "origin", "source", "economy", "group", "importer", "absorber", "user"];
  var MAX_SERIES = 30, MAX_TABLE_ROWS = 1000;
  var state = { catalog: null, names: null, lang: "en", table: null, last: null };

  function $(id) { return document.getElementById(id); }
  function t(key) {
    var entry = state.names && state.names.texts[key];
    return entry ? entry[state.lang] : key;
  }
  function columnLabel(column) {
    var entry = state.names && state.names.texts["label." + column];
    return entry ? entry[state.lang] : column;
  }
  function label(column, value) {
    if (!state.names || value === null || value === undefined) return value;
    var names = state.names[state.lang];
    if (column === "sector" && names.sectors[value]) return value + " " + names.sectors[value];
    if (column === state.table.measure && names.indicators[value]) return names.indicators[value];
    if (names.countries[value]) return names.countries[value];
    // categorical values (levels, sector groups, TOTAL, network types, …) from report_strings
    var entry = state.names.texts["value." + value];
    if (entry) return entry[state.lang];
    return value;
  }
  function option(value, text) {
    var o = document.createElement("option");
    o.value = value; o.textContent = text; return o;
  }
  function fill(select, values, column, keepAll) {
    var previous = Array.prototype.filter.call(select.options, function (o) { return o.selected; })
      .map(function (o) { return o.value; });
    select.innerHTML = "";
    if (keepAll) select.appendChild(option("", t("atlas.all")));
    values.forEach(function (v) { select.appendChild(option(v, column ? label(column, v) : v)); });
    Array.prototype.forEach.call(select.options, function (o) { o.selected = previous.indexOf(o.value) >= 0; });
  }
  function tableByName(name) {
    return state.catalog.tables.filter(function (x) { return x.name === name; })[0];
  }
  function isGroup(value) { return (state.catalog.groups || []).indexOf(value) >= 0; }
  function selectedEconomies() {
    return Array.prototype.filter.call($("economy").options, function (o) { return o.selected; })
      .map(function (o) { return o.value; });
  }
  function sortedByName(column, values) {
    // economies listed by name (groups first), not by code
    return values.slice().sort(function (a, b) {
      return (isGroup(b) - isGroup(a)) || String(label(column, a)).localeCompare(String(label(column, b)), state.lang === "zh" ? "zh-CN" : "en");
    });
  }
  function filterEconomies() {
    var q = $("economy-search").value.trim().toLowerCase();
    Array.prototype.forEach.call($("economy").options, function (o) {
      o.hidden = !!q && (o.textContent + " " + o.value).toLowerCase().indexOf(q) < 0;
    });
  }
  function unitsOf(indicator) {
    var u = state.table && state.table.units && (state.table.units[indicator] || state.table.units.value);
    return u ? u[state.lang] : "";
  }
  function showMeta() {
    var table = state.table; if (!table) return;
    var indicator = $("indicator").value, parts = [];
    if (table.source) parts.push(table.source[state.lang]);
    if (unitsOf(indicator)) parts.push(t("atlas.units").replace("{units}", unitsOf(indicator)));
    $("meta").textContent = parts.join(" · ");
    $("title").textContent = (table.measure && indicator ? label(table.measure, indicator) + " — " : "") + (table.title ? table.title[state.lang] : table.name);
  }
  function economyColumn(table) {
    for (var i = 0; i < ECONOMY_COLUMNS.length; i++) {
      if (table.dimensions[ECONOMY_COLUMNS[i]]) return ECONOMY_COLUMNS[i];
    }
    return null;
  }
  function applyLanguage() {
    document.documentElement.setAttribute("data-lang", state.lang);
    document.documentElement.setAttribute("lang", state.lang === "zh" ? "zh-CN" : "en");
    document.querySelectorAll("[data-t]").forEach(function (el) { el.textContent = t(el.getAttribute("data-t")); });
    document.querySelectorAll("[data-column]").forEach(function (el) { el.textContent = columnLabel(el.getAttribute("data-column")); });
    document.querySelectorAll("[data-set-lang]").forEach(function (b) {
      b.classList.toggle("active", b.getAttribute("data-set-lang") === state.lang);
    });
    document.querySelectorAll("[data-t-placeholder]").forEach(function (el) { el.placeholder = t(el.getAttribute("data-t-placeholder")); });
    if (state.catalog) {
      $("directory").textContent = t("atlas.readonly").replace("{dir}", state.catalog.directory);
      Array.prototype.forEach.call($("table").options, function (o) {
        var x = tableByName(o.value); o.textContent = x.title ? x.title[state.lang] : x.name;
      });
    }
    if (state.table) { relabel(); if (state.last) draw(state.last); }
  }
  function relabel() {
    var table = state.table;
    fill($("indicator"), table.indicators, table.measure, false);
    var econ = economyColumn(table);
    if (econ) { fill($("economy"), sortedByName(econ, table.dimensions[econ]), econ, false); filterEconomies(); }
    Object.keys(table.dimensions).forEach(function (column) {
      if (column === econ) return;
      var select = $("dim-" + column);
      if (select) fill(select, table.dimensions[column], column, true);
    });
  }
  function chooseTable(name) {
    var table = tableByName(name);
    state.table = table; state.last = null;
    $("table").value = name;
    var econ = economyColumn(table);
    $("indicator").innerHTML = ""; $("economy").innerHTML = "";
    $("indicator").parentElement.style.display = table.measure ? "" : "none";
    $("economy-box").style.display = econ ? "" : "none";
    var dims = $("dimensions"); dims.innerHTML = "";
    Object.keys(table.dimensions).forEach(function (column) {
      if (column === econ) return;
      var lab = document.createElement("label");
      var span = document.createElement("span"); span.textContent = columnLabel(column);
      span.setAttribute("data-column", column);
      var select = document.createElement("select"); select.id = "dim-" + column; select.name = column;
      lab.appendChild(span); lab.appendChild(select); dims.appendChild(lab);
    });
    relabel();
    // sensible first view: the first indicator, China (or the first economy), every year
    if (table.indicators.length) $("indicator").value = table.indicators[0];
    if (econ) {
      var values = table.dimensions[econ];
      var pick = values.indexOf("CHN") >= 0 ? "CHN" : values[0];
      Array.prototype.forEach.call($("economy").options, function (o) { o.selected = o.value === pick; });
    }
    ["level"].forEach(function (column) {
      var select = $("dim-" + column);
      if (select && table.dimensions[column].indexOf("country") >= 0) select.value = "country";
    });
    fill($("year_from"), table.years.map(String), null, false);
    fill($("year_to"), table.years.map(String), null, false);
    if (table.years.length) {
      $("year_from").value = String(table.years[0]);
      $("year_to").value = String(table.years[table.years.length - 1]);
    }
    $("year_from").parentElement.style.display = table.years.length ? "" : "none";
    $("year_to").parentElement.style.display = table.years.length ? "" : "none";
  }
  function queryString(format, keepSelection) {
    var table = state.table, params = new URLSearchParams();
    params.set("table", table.name);
    if (table.measure && $("indicator").value) params.set("indicator", $("indicator").value);
    var econ = economyColumn(table);
    // the map shows every economy; the selection still travels in the page URL (writeUrl)
    if (econ && (keepSelection || $("view").value !== "map")) {
      var chosen = selectedEconomies();
      if (chosen.length) params.set(econ, chosen.join(","));
    }
    Object.keys(table.dimensions).forEach(function (column) {
      var select = $("dim-" + column);
      if (select && select.value) params.set(column, select.value);
    });
    if (table.years.length) {
      params.set("year_from", $("year_from").value);
      params.set("year_to", $("year_to").value);
    }
    if (format) params.set("format", format);
    return params.toString();
  }
  function setStatus(text, isError) {
    var s = $("status"); s.textContent = text; s.className = isError ? "error" : "";
  }
  function clearOutput() {
    state.last = null;
    Plotly.purge("chart"); $("chart").innerHTML = "";
    $("result").querySelector("thead").innerHTML = ""; $("result").querySelector("tbody").innerHTML = "";
    $("rowcount").textContent = "";
  }
  function levelFor(chosen) {
    // groups live at level "group" (and group_sector_group), economies at "country": pick the
    // level that matches the selection, and say so
    var select = $("dim-level"); if (!select || !chosen.length) return "";
    var levels = state.table.dimensions.level || [], groups = chosen.filter(isGroup);
    if (!groups.length || levels.indexOf("group") < 0) return "";
    var before = select.value;
    select.value = "group";
    if (groups.length < chosen.length) return t("atlas.mixed_groups").replace("{level}", label("level", "group"));
    return before === "group" ? "" : t("atlas.switched_level").replace("{level}", label("level", "group"));
  }
  function writeUrl() {
    var params = new URLSearchParams(queryString(null, true));
    params.set("lang", state.lang);
    params.set("view", $("view").value);
    history.replaceState(null, "", "?" + params.toString());
  }
  function readUrl() {
    var params = new URLSearchParams(location.search);
    if (!params.get("table") || !tableByName(params.get("table"))) return false;
    if (params.get("lang")) state.lang = params.get("lang") === "zh" ? "zh" : "en";
    applyLanguage();
    var table = tableByName(params.get("table"));
    chooseTable(table.name);
    if (params.get("indicator")) $("indicator").value = params.get("indicator");
    var econ = economyColumn(table);
    if (econ && params.get(econ)) {
      var chosen = params.get(econ).split(",");
      Array.prototype.forEach.call($("economy").options, function (o) { o.selected = chosen.indexOf(o.value) >= 0; });
    }
    Object.keys(table.dimensions).forEach(function (column) {
      var select = $("dim-" + column);
      if (select) select.value = params.get(column) || "";
    });
    if (params.get("year_from")) $("year_from").value = params.get("year_from");
    if (params.get("year_to")) $("year_to").value = params.get("year_to");
    if (params.get("view")) $("view").value = params.get("view") === "map" ? "map" : "chart";
    return true;
  }
  function run() {
    var note = levelFor(selectedEconomies());
    var qs = queryString(), started = performance.now();
    $("download").href = "/api/query?" + queryString("csv");
    writeUrl(); showMeta();
    setStatus("…", false);
    fetch("/api/query?" + qs).then(function (r) {
      return r.json().then(function (body) { return { ok: r.ok, body: body }; });
    }).then(function (answer) {
      if (!answer.ok) {
        // the previous chart is not the answer: clear it and name the cause
        clearOutput();
        var cause = answer.body.error || "error";
        if (answer.body.allowed) cause += " (" + answer.body.allowed.slice(0, 8).join(", ") + (answer.body.allowed.length > 8 ? ", …" : "") + ")";
        setStatus(t("atlas.error").replace("{error}", cause), true);
        return;
      }
      if (!answer.body.count) {
        clearOutput();
        var chosen = selectedEconomies(), level = $("dim-level") ? $("dim-level").value : "";
        setStatus(level && chosen.length
          ? t("atlas.no_rows_level").replace("{economies}", chosen.map(function (c) { return label(economyColumn(state.table), c); }).join(", ")).replace("{level}", label("level", level))
          : t("atlas.no_rows"), true);
        return;
      }
      state.last = answer.body;
      draw(answer.body);
      setStatus((note ? note + " " : "") + Math.round(performance.now() - started) + " ms", false);
    }).catch(function (err) { clearOutput(); setStatus(String(err), true); });
  }
  var WORLD = null;
  function drawMap(result) {
    var columns = result.columns, rows = result.rows, econ = economyColumn(state.table);
    var at = columns.indexOf(econ), yearAt = columns.indexOf("year"), valueAt = columns.indexOf("value");
    if (at < 0) { setStatus(t("atlas.no_map"), true); return; }
    var year = yearAt >= 0 ? Math.max.apply(null, rows.map(function (r) { return r[yearAt]; })) : null;
    var values = {};
    rows.forEach(function (r) { if (yearAt < 0 || r[yearAt] === year) values[r[at]] = (values[r[at]] || 0) + r[valueAt]; });
    var finite = Object.keys(values).map(function (k) { return values[k]; }).filter(isFinite);
    var lo = Math.min.apply(null, finite), hi = Math.max.apply(null, finite);
    function colour(v) {  // white to dark blue
      var f = hi > lo ? (v - lo) / (hi - lo) : 1;
      return "rgb(" + Math.round(230 - 200 * f) + "," + Math.round(238 - 150 * f) + "," + Math.round(246 - 70 * f) + ")";
    }
    var traces = [];
    Object.keys(WORLD.countries).forEach(function (iso) {
      var shape = WORLD.countries[iso], x = [], y = [];
      shape.rings.forEach(function (ring) {
        ring.forEach(function (p) { x.push(p[0]); y.push(p[1]); }); x.push(null); y.push(null);
      });
      var has = values.hasOwnProperty(iso);
      traces.push({ type: "scatter", mode: "lines", fill: "toself", x: x, y: y, hoveron: "fills",
        line: { color: "#8a99a8", width: 0.5 }, fillcolor: has ? colour(values[iso]) : "#f2f2f2",
        name: label(econ, iso) || shape.name, showlegend: false,
        text: (label(econ, iso) || shape.name) + (has ? ": " + values[iso].toPrecision(4) : ""), hoverinfo: "text" });
    });
    // the colour scale as a legend: an invisible trace with a colour bar
    traces.push({ type: "scatter", mode: "markers", x: [null], y: [null], showlegend: false, hoverinfo: "skip",
      marker: { color: [lo, hi], cmin: lo, cmax: hi, showscale: true,
        colorscale: [[0, "rgb(230,238,246)"], [1, "rgb(30,88,176)"]],
        colorbar: { title: { text: unitsOf($("indicator").value) }, thickness: 12 } } });
    var layout = { margin: { l: 10, r: 10, t: 30, b: 10 }, template: "plotly_white", height: 460,
      title: { text: t("atlas.map_year").replace("{indicator}", label(state.table.measure, $("indicator").value) || state.table.name).replace("{year}", year === null ? "" : year), font: { size: 14 } },
      xaxis: { visible: false, range: [-180, 180] }, yaxis: { visible: false, range: [-60, 85], scaleanchor: "x" } };
    Plotly.react("chart", traces, layout, { responsive: true, displaylogo: false });
  }
  function draw(result) {
    var columns = result.columns, rows = result.rows, table = state.table;
    var yearAt = columns.indexOf("year"), valueAt = columns.indexOf("value");
    // series = every non-year, non-value column that varies
    var numeric = table.numeric_columns || [];
    var keyCols = columns.map(function (c, i) { return i; }).filter(function (i) {
      if (i === yearAt || i === valueAt || numeric.indexOf(columns[i]) >= 0) return false;
      var first = rows.length ? rows[0][i] : null;
      return rows.some(function (r) { return r[i] !== first; });
    });
    var econ = economyColumn(table);  // the economy first in series names: "China · shock"
    keyCols.sort(function (a, b) { return (columns[b] === econ) - (columns[a] === econ) || a - b; });
    var series = {}, order = [];
    rows.forEach(function (r) {
      var key = keyCols.map(function (i) { return label(columns[i], r[i]); }).join(" · ") || label(table.measure, $("indicator").value) || "value";
      if (!series[key]) { series[key] = { x: [], y: [] }; order.push(key); }
      series[key].x.push(yearAt >= 0 ? r[yearAt] : series[key].x.length);
      series[key].y.push(r[valueAt]);
    });
    var years = {};
    rows.forEach(function (r) { years[yearAt >= 0 ? r[yearAt] : ""] = true; });
    var traces;
    if (Object.keys(years).length <= 1) {
      // one year (e.g. a scenario): a bar per series instead of one-point lines
      traces = [{ type: "bar", x: order.slice(0, 200), y: order.slice(0, 200).map(function (k) { return series[k].y[0]; }) }];
    } else {
      traces = order.slice(0, MAX_SERIES).map(function (key) {
        return { type: "scatter", mode: "lines+markers", name: key, x: series[key].x, y: series[key].y };
      });
    }
    var units = unitsOf($("indicator").value);
    var layout = {
      margin: { l: 70, r: 20, t: 30, b: 50 }, template: "plotly_white",
      title: { text: label(table.measure, $("indicator").value) || (table.title ? table.title[state.lang] : table.name), font: { size: 14 } },
      legend: { orientation: "h", y: -0.2 },
      xaxis: Object.keys(years).length <= 1 ? {} : { dtick: 1, title: { text: columnLabel("year") } },
      yaxis: { title: { text: units || columnLabel("value") } }
    };
    if ($("view").value === "map" && WORLD) drawMap(result);
    else Plotly.react("chart", traces, layout, { responsive: true, displaylogo: false });
    var thead = $("result").querySelector("thead"), tbody = $("result").querySelector("tbody");
    thead.innerHTML = ""; tbody.innerHTML = "";
    var head = document.createElement("tr");
    columns.forEach(function (c) {
      var th = document.createElement("th"); th.textContent = columnLabel(c); th.title = c; head.appendChild(th);
    });
    thead.appendChild(head);
    rows.slice(0, MAX_TABLE_ROWS).forEach(function (r) {
      var tr = document.createElement("tr");
      r.forEach(function (v, i) {
        var td = document.createElement("td");
        if (i === valueAt && typeof v === "number") { td.textContent = v.toPrecision(6); td.className = "num"; }
        else {
          td.textContent = v === null ? "" : (i === yearAt ? v : (label(columns[i], v) === v ? v : v + " – " + label(columns[i], v)));
          if (i !== yearAt) td.className = "text";
        }
        tr.appendChild(td);
      });
      tbody.appendChild(tr);
    });
    $("rowcount").textContent = t("atlas.rows").replace("{count}", result.count);
  }
  document.querySelectorAll("[data-set-lang]").forEach(function (b) {
    b.addEventListener("click", function () {
      state.lang = b.getAttribute("data-set-lang"); applyLanguage(); showMeta();
      if (state.table) writeUrl();
    });
  });
  $("controls").addEventListener("submit", function (e) { e.preventDefault(); run(); });
  $("table").addEventListener("change", function () { chooseTable($("table").value); run(); });
  $("economy-search").addEventListener("input", filterEconomies);
  $("indicator").addEventListener("change", showMeta);
  $("view").addEventListener("change", function () { if (state.table) run(); });
  Promise.all([fetch("/api/catalog").then(function (r) { return r.json(); }),
               fetch("/api/names").then(function (r) { return r.json(); }),
               fetch("/static/world_110m.json").then(function (r) { return r.ok ? r.json() : null; })
                 .catch(function () { return null; })]).then(function (got) {
    state.catalog = got[0]; state.names = got[1]; WORLD = got[2];
    state.catalog.tables.forEach(function (x) { $("table").appendChild(option(x.name, x.name)); });
    applyLanguage();
    if (!state.catalog.tables.length) { setStatus("no result tables found", true); return; }
    if (!readUrl()) chooseTable(state.catalog.tables[0].name);
    run();
  });
})();
