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
    if (state.catalog) $("directory").textContent = t("atlas.readonly").replace("{dir}", state.catalog.directory);
    if (state.table) { relabel(); if (state.last) draw(state.last); }
  }
  function relabel() {
    var table = state.table;
    fill($("indicator"), table.indicators, table.measure, false);
    var econ = economyColumn(table);
    if (econ) fill($("economy"), table.dimensions[econ], econ, false);
    Object.keys(table.dimensions).forEach(function (column) {
      if (column === econ) return;
      var select = $("dim-" + column);
      if (select) fill(select, table.dimensions[column], column, true);
    });
  }
  function chooseTable(name) {
    var table = state.catalog.tables.filter(function (x) { return x.name === name; })[0];
    state.table = table;
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
  function queryString(format) {
    var table = state.table, params = new URLSearchParams();
    params.set("table", table.name);
    if (table.measure && $("indicator").value) params.set("indicator", $("indicator").value);
    var econ = economyColumn(table);
    if (econ) {
      var chosen = Array.prototype.filter.call($("economy").options, function (o) { return o.selected; })
        .map(function (o) { return o.value; });
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
  function run() {
    var qs = queryString(), started = performance.now();
    $("download").href = "/api/query?" + queryString("csv");
    setStatus("…", false);
    fetch("/api/query?" + qs).then(function (r) {
      return r.json().then(function (body) { return { ok: r.ok, body: body }; });
    }).then(function (answer) {
      if (!answer.ok) { setStatus(answer.body.error, true); return; }
      state.last = answer.body;
      draw(answer.body);
      setStatus(Math.round(performance.now() - started) + " ms", false);
    }).catch(function (err) { setStatus(String(err), true); });
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
    var layout = {
      margin: { l: 60, r: 20, t: 30, b: 40 }, template: "plotly_white",
      title: { text: label(table.measure, $("indicator").value) || table.name, font: { size: 14 } },
      legend: { orientation: "h", y: -0.15 }, xaxis: { dtick: 1 }
    };
    Plotly.react("chart", traces, layout, { responsive: true, displaylogo: false });
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
        else { td.textContent = v === null ? "" : (i === yearAt ? v : (label(columns[i], v) === v ? v : v + " – " + label(columns[i], v))); }
        tr.appendChild(td);
      });
      tbody.appendChild(tr);
    });
    $("rowcount").textContent = t("atlas.rows").replace("{count}", result.count);
  }
  document.querySelectorAll("[data-set-lang]").forEach(function (b) {
    b.addEventListener("click", function () { state.lang = b.getAttribute("data-set-lang"); applyLanguage(); });
  });
  $("controls").addEventListener("submit", function (e) { e.preventDefault(); run(); });
  $("table").addEventListener("change", function () { chooseTable($("table").value); run(); });
  Promise.all([fetch("/api/catalog").then(function (r) { return r.json(); }),
               fetch("/api/names").then(function (r) { return r.json(); })]).then(function (got) {
    state.catalog = got[0]; state.names = got[1];
    state.catalog.tables.forEach(function (x) { $("table").appendChild(option(x.name, x.name + " (" + x.rows + ")")); });
    applyLanguage();
    if (state.catalog.tables.length) { chooseTable(state.catalog.tables[0].name); run(); }
    else setStatus("no result tables found", true);
  });
})();
