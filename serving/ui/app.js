// The /ui page: calls the same API as planning tools, with the key the user typed.
// No libraries and no network beyond this service: charts are drawn as inline SVG.
"use strict";

const BANDS = ["low", "intermediate", "high"];
const BAND_TITLES = { low: "Low (below level 2)", intermediate: "Intermediate (levels 2-3)", high: "High (level 4 and above)" };
const COLOURS = { demand: "#1d4e89", supply: "#c0392b", gap: "#6c3483" };
const state = { key: sessionStorage.getItem("skillcast-key") || "", area: null, synthetic: false, descriptions: {}, shown: 0 };

function $(id) { return document.getElementById(id); }

function say(message, isError) {
  const status = $("status");
  status.textContent = message;
  status.className = isError ? "error" : "";
}

async function get(path) {
  const response = await fetch(path, { headers: { "Authorization": "Bearer " + state.key } });
  const text = await response.text();
  let payload;
  try { payload = JSON.parse(text); } catch (error) { payload = { error: text }; }
  if (!response.ok) refused(response, payload);
  return payload;
}

function refused(response, payload) {
  const error = payload && payload.error;  // the API's one error object: {"error": {"code", "message", "field"}}
  const detail = error && typeof error === "object" ? error.message : error;
  throw new Error(response.status + ": " + (detail || response.statusText));
}

async function call(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", "Authorization": "Bearer " + state.key },
    body: JSON.stringify(body || {}),
  });
  const text = await response.text();
  let payload;
  try { payload = JSON.parse(text); } catch (error) { payload = { error: text }; }
  if (!response.ok) refused(response, payload);
  return payload;
}

async function download(path, filename) {
  const response = await fetch(path, { headers: { "Authorization": "Bearer " + state.key } });
  if (!response.ok) { say("download failed: " + response.status + " " + (await response.text()), true); return; }
  const blob = await response.blob();
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

// -- number formatting -------------------------------------------------------------------
function people(value) {
  const size = Math.abs(value);
  if (size >= 1e6) return (value / 1e6).toFixed(2) + "m";
  if (size >= 1e3) return (value / 1e3).toFixed(0) + "k";
  return value.toFixed(0);
}

function signed(value) {
  return (value >= 0 ? "+" : "-") + people(Math.abs(value));
}

// -- charts ------------------------------------------------------------------------------
const SVG = "http://www.w3.org/2000/svg";

function element(name, attributes, text) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes || {})) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function niceTicks(low, high, count) {
  const span = high - low || Math.abs(high) || 1;
  const step0 = span / count;
  const power = Math.pow(10, Math.floor(Math.log10(step0)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= step0);
  const ticks = [];
  for (let tick = Math.ceil(low / step) * step; tick <= high + step * 1e-9; tick += step) ticks.push(tick);
  return ticks;
}

// series: [{label, colour, points: [{year, value, basis}], dashedAfter}], bands: [{colour, opacity, points: [{year, low, high}]}]
function chart(title, yLabel, series, bands, options) {
  const width = 340, height = 250, left = 58, right = 12, top = 44, bottom = 40;
  const years = series.flatMap((s) => s.points.map((p) => p.year)).concat(bands.flatMap((b) => b.points.map((p) => p.year)));
  const values = series.flatMap((s) => s.points.map((p) => p.value)).concat(bands.flatMap((b) => b.points.flatMap((p) => [p.low, p.high])));
  if (options && options.zero) values.push(0);
  const x0 = Math.min(...years), x1 = Math.max(...years);
  const yTicks = niceTicks(Math.min(...values), Math.max(...values), 4);
  const y0 = Math.min(yTicks[0], Math.min(...values)), y1 = Math.max(yTicks[yTicks.length - 1], Math.max(...values));
  const x = (year) => left + (width - left - right) * (year - x0) / Math.max(1, x1 - x0);
  const y = (value) => top + (height - top - bottom) * (1 - (value - y0) / Math.max(1e-9, y1 - y0));
  const svg = element("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title, preserveAspectRatio: "xMidYMid meet" });
  svg.appendChild(element("text", { x: 8, y: 16, "font-size": 13, "font-weight": 600 }, title));
  for (const tick of yTicks) {
    svg.appendChild(element("line", { x1: left, x2: width - right, y1: y(tick), y2: y(tick), stroke: "#e5e5e5" }));
    svg.appendChild(element("text", { x: left - 5, y: y(tick) + 4, "font-size": 10, "text-anchor": "end" }, people(tick)));
  }
  for (const tick of niceTicks(x0, x1, 4).filter((t) => Number.isInteger(t))) {
    svg.appendChild(element("text", { x: x(tick), y: height - bottom + 14, "font-size": 10, "text-anchor": "middle" }, String(tick)));
  }
  svg.appendChild(element("text", { x: (left + width - right) / 2, y: height - 8, "font-size": 10, "text-anchor": "middle" }, "year"));
  svg.appendChild(element("text", { x: 12, y: (top + height - bottom) / 2, "font-size": 10, "text-anchor": "middle",
    transform: `rotate(-90 12 ${(top + height - bottom) / 2})` }, yLabel));
  if (options && options.zero && y0 < 0 && y1 > 0) {
    svg.appendChild(element("line", { x1: left, x2: width - right, y1: y(0), y2: y(0), stroke: "#555", "stroke-width": 1 }));
  }
  for (const band of bands) {
    if (!band.points.length) continue;
    const upper = band.points.map((p) => `${x(p.year)},${y(p.high)}`);
    const lower = band.points.slice().reverse().map((p) => `${x(p.year)},${y(p.low)}`);
    svg.appendChild(element("polygon", { points: upper.concat(lower).join(" "), fill: band.colour, "fill-opacity": band.opacity, stroke: "none" }));
  }
  if (options && options.lastObserved !== undefined) {
    const lx = x(options.lastObserved);
    svg.appendChild(element("line", { x1: lx, x2: lx, y1: top, y2: height - bottom, stroke: "#999", "stroke-dasharray": "2,3" }));
  }
  series.forEach((line, index) => {
    const observed = line.points.filter((p) => p.basis === "observed");
    const forecast = line.points.filter((p) => p.basis !== "observed");
    if (observed.length && forecast.length) forecast.unshift(observed[observed.length - 1]);
    for (const [points, dash] of [[observed, ""], [forecast, "5,3"]]) {
      if (points.length < 2) continue;
      svg.appendChild(element("polyline", { points: points.map((p) => `${x(p.year)},${y(p.value)}`).join(" "), fill: "none",
        stroke: line.colour, "stroke-width": 2, "stroke-dasharray": dash }));
    }
    const legendX = 8 + index * 80;  // legend in its own row under the title, never over the data
    svg.appendChild(element("line", { x1: legendX, x2: legendX + 16, y1: 30, y2: 30, stroke: line.colour, "stroke-width": 2 }));
    svg.appendChild(element("text", { x: legendX + 20, y: 34, "font-size": 11 }, line.label));
  });
  const figure = document.createElement("figure");
  figure.appendChild(svg);
  return figure;
}

function drawSupplyDemand(rows, lastObserved) {
  const container = $("supply-demand");
  container.replaceChildren();
  for (const band of BANDS) {
    const own = rows.filter((r) => r.band === band).sort((a, b) => a.year - b.year);
    if (!own.length) continue;
    container.appendChild(chart(BAND_TITLES[band], "people", [
      { label: "demand", colour: COLOURS.demand, points: own.map((r) => ({ year: r.year, value: r.demand, basis: r.basis })) },
      { label: "supply", colour: COLOURS.supply, points: own.map((r) => ({ year: r.year, value: r.supply, basis: r.basis })) },
    ], [], { lastObserved, zero: true }));  // from zero, as in the report: a cropped axis exaggerates small changes
  }
}

function drawGaps(rows, lastObserved) {
  const container = $("gap-chart");
  container.replaceChildren();
  for (const band of BANDS) {
    const own = rows.filter((r) => r.band === band).sort((a, b) => a.year - b.year);
    if (!own.length) continue;
    const future = own.filter((r) => r.basis !== "observed");
    container.appendChild(chart(BAND_TITLES[band], "gap (people)", [
      { label: "gap", colour: COLOURS.gap, points: own.map((r) => ({ year: r.year, value: r.gap, basis: r.basis })) },
    ], [
      { colour: COLOURS.gap, opacity: 0.15, points: future.map((r) => ({ year: r.year, low: r.gap_lo_95, high: r.gap_hi_95 })) },
      { colour: COLOURS.gap, opacity: 0.3, points: future.map((r) => ({ year: r.year, low: r.gap_lo_80, high: r.gap_hi_80 })) },
    ], { lastObserved, zero: true }));
  }
}

function appendRow(body, cells) {
  // cells: [text, class] pairs; text only (textContent), never markup from the API
  const tr = document.createElement("tr");
  for (const [text, kind] of cells) {
    const td = document.createElement("td");
    td.textContent = text;
    if (kind) td.className = kind;
    tr.appendChild(td);
  }
  body.appendChild(tr);
  return tr;
}

// -- a budget: what it buys by route and level (POST /priorities with a budget) --------------
const ROUTE_NAMES = { apprenticeship: "apprenticeship", foundation: "foundation apprenticeship", unit: "apprenticeship unit (short course)" };
const ROUTE_ORDER = Object.keys(ROUTE_NAMES);

function pounds(value) { return value == null ? "-" : "\u00a3" + Math.round(value).toLocaleString("en-GB"); }
function starts(value) {
  if (value == null) return "-";
  return Math.abs(value) >= 10 ? Math.round(value).toLocaleString("en-GB") : value.toFixed(1);  // a fraction of a start: money left over
}

// The budget typed, in pounds: null when empty; an Error when it is not a positive number (said, not sent).
function budgetValue() {
  const input = $("budget");
  if (input.validity.badInput) throw new Error("budget: expected a positive amount of pounds, got something that is not a number");
  const text = input.value.trim();
  if (!text) return null;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`budget: expected a positive amount of pounds, got '${text}'`);
  return value;
}

// The purchases (occupation, route, level, allocation, cost_per_start, starts) summed by route and level, in route order.
function routeRows(purchases, titles) {
  const groups = new Map();
  for (const row of purchases) {
    const key = `${row.route}|${row.level}`;
    if (!groups.has(key)) groups.set(key, { route: row.route, level: row.level, allocation: 0, starts: 0, served: new Map() });
    const group = groups.get(key);
    group.allocation += row.allocation;
    group.starts += row.starts;
    group.served.set(row.occupation, (group.served.get(row.occupation) || 0) + row.starts);
  }
  const rows = [...groups.values()];
  rows.sort((a, b) => ROUTE_ORDER.indexOf(a.route) - ROUTE_ORDER.indexOf(b.route) || a.level - b.level);
  for (const row of rows) {
    row.top = [...row.served.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3)
      .map(([code, count]) => `${code} ${titles[code] || ""} (${starts(count)})`.replace("  ", " "));
  }
  return rows;
}

function fundingLine(funding) {
  if (!funding) return "";
  const source = funding.source || "Skills England apprenticeship products";
  return `Costs per start come from ${source}` + (funding.records_to ? `, records to ${funding.records_to}` : "") +
    `: the median funding band of the ${(funding.products || 0).toLocaleString("en-GB")} products open to new starts that serve each ` +
    "occupation at that route and level, or of all products at that route and level where none is matched to it.";
}

function assumptionsLine(funding) {
  if (!funding) return "";
  const shares = funding.route_shares || {};
  let text = `Assumption (a starting point, not a funding rule): of each occupation's money, ${Math.round((shares.foundation || 0) * 100)}% goes to ` +
    `foundation apprenticeships and ${Math.round((shares.unit || 0) * 100)}% to apprenticeship units where it has one, the rest to ` +
    "apprenticeships by its mix of jobs held at RQF 2-5.";
  const stated = Object.entries(funding.stated_costs || {});
  if (stated.length) text += " Stated costs per start instead of the bands: " + stated.map(([name, value]) => `level ${name.replace("level", "")} ${pounds(value)}`).join(", ") + ".";
  if (funding.occupations_with_own_products === 0) text += " No foundation apprenticeship or unit is matched to these occupations, so all the money goes to apprenticeships.";
  return text;
}

function drawPurchases(answer) {
  const body = $("purchases").querySelector("tbody");
  body.replaceChildren();
  const purchases = answer && answer.purchases;
  $("budget-result").hidden = !purchases;
  if (!purchases) return;
  const titles = Object.fromEntries((answer.rows || []).map((row) => [row.occupation, row.title]));
  const rows = routeRows(purchases, titles);
  let money = 0, bought = 0;
  for (const row of rows) {
    const tr = appendRow(body, [
      [ROUTE_NAMES[row.route] || row.route, "route"], [String(row.level), "number"], [pounds(row.allocation), "number money"],
      [pounds(row.starts > 0 ? row.allocation / row.starts : null), "number per-start"], [starts(row.starts), "number starts"],
      [row.top.join("; "), ""],
    ]);
    tr.dataset.route = row.route;
    tr.dataset.level = String(row.level);
    money += row.allocation;
    bought += row.starts;
  }
  const total = appendRow(body, [["all routes", "route"], ["", ""], [pounds(money), "number money"],
    [pounds(bought > 0 ? money / bought : null), "number per-start"], [starts(bought), "number starts"], ["", ""]]);
  total.className = "total";
  $("budget-title").textContent = `What ${pounds(answer.budget)} buys in ${answer.area}, by route and level`;
  $("funding-line").textContent = fundingLine(answer.funding);
  $("budget-assumptions").textContent = assumptionsLine(answer.funding) + (answer.allocation_method ? ` Allocation: ${answer.allocation_method}.` : "");
}

// The ranking (its first ten) and, with a budget, what it buys: POST /priorities {area, budget}.
async function priorityAnswer(code, budget) {
  const answer = await call("/priorities", budget == null ? { area: code, top: 10 } : { area: code, budget });
  return { ...answer, rows: (answer.rows || []).slice(0, 10), all_rows: answer.rows || [] };
}

async function applyBudget(event) {
  if (event) event.preventDefault();
  if (!state.area) return;
  const status = $("budget-status");
  try {
    const budget = budgetValue();
    status.textContent = budget == null ? "" : `allocating ${pounds(budget)} ...`;
    const ticket = state.shown;
    const answer = await priorityAnswer(state.area, budget);
    if (ticket !== state.shown) return;  // another area was picked meanwhile: showArea draws it, with the budget
    drawPriorities(answer.rows, budget != null);
    drawPurchases(budget == null ? null : { ...answer, rows: answer.all_rows });
    status.textContent = budget == null ? "" : `${pounds(budget)} shared across ${answer.area}'s occupations: what it buys is below the ranking.`;
  } catch (error) {
    status.textContent = error.message;
  }
}

function drawPriorities(allRows, withBudget) {
  const body = $("priorities").querySelector("tbody");
  body.replaceChildren();
  for (const cell of $("priorities").querySelectorAll("th.budget-column")) cell.hidden = !withBudget;
  const rows = allRows.filter((row) => (row.openings ?? row.score) > 0);  // nothing to fill: not a priority
  const dropped = allRows.length - rows.length;
  $("no-priorities").hidden = rows.length > 0;
  $("priorities").hidden = rows.length === 0;
  $("zero-note").hidden = dropped === 0;
  $("zero-note").textContent = `${dropped} occupation${dropped === 1 ? "" : "s"} with no jobs to fill at RQF 2-5 not shown (see the spreadsheet).`;
  for (const row of rows) {
    appendRow(body, [
      [String(row.rank), "number"],
      [`${row.occupation} ${row.title}`, ""],
      [people(row.openings ?? Math.max(0, row.growth + row.replacement)), "number"],
      [row.per_1000 == null ? "-" : row.per_1000.toFixed(1), "number"],
      [row.need_lq == null ? "-" : row.need_lq.toFixed(2), "number"],
      [row.rating || "-", "rating " + (row.rating || "").replaceAll(" ", "-")],
      ...(withBudget ? [[pounds(row.allocation), "number money"], [starts(row.starts), "number starts"]] : []),
      [row.explanation, ""],
    ]);
  }
}

function drawShortages(rows) {
  const body = $("shortages").querySelector("tbody");
  body.replaceChildren();
  $("shortages").hidden = rows.length === 0;
  $("no-shortages").hidden = rows.length > 0;
  for (const row of rows) {
    appendRow(body, [
      [`${row.occupation} ${row.title}`, ""],
      [row.rating, "rating " + row.rating.replaceAll(" ", "-")],  // a class and the word: not colour alone
      [(row.shortage_score >= 0 ? "+" : "") + row.shortage_score.toFixed(2), "number"],
      [row.drivers, ""],
    ]);
  }
}

const RESERVE_LABELS = {
  population_16_64: "people 16-64", unemployed: "unemployed", inactive: "inactive", inactive_wanting_job: "inactive, want a job",
  reserve: "labour reserve", young_reserve: "of which 16-24", unemployment_rate: "unemployment rate",
  inactivity_rate: "inactivity rate", inactivity_trend: "inactivity trend a year", at_england_rates: "active at England's rates",
};
const RATE_MEASURES = ["unemployment_rate", "inactivity_rate"];

function reserveFigure(measure, value) {
  if (value == null) return "-";
  if (measure === "inactivity_trend") return (value >= 0 ? "+" : "") + (value * 100).toFixed(2) + " pt";
  if (RATE_MEASURES.includes(measure)) return (value * 100).toFixed(1) + "%";
  return people(value);
}

function drawReserve(answer) {
  const rows = (answer.rows || []).filter((row) => row.level === "all" && RESERVE_LABELS[row.measure]);
  const body = $("reserve").querySelector("tbody");
  const fillBody = $("reserve-fill").querySelector("tbody");
  body.replaceChildren();
  fillBody.replaceChildren();
  $("reserve").hidden = rows.length === 0;
  $("reserve-fill").hidden = !(answer.fill || []).length;
  $("reserve-fill-title").hidden = $("reserve-fill").hidden;
  $("no-reserve").hidden = rows.length > 0;
  const order = Object.keys(RESERVE_LABELS);
  rows.sort((a, b) => order.indexOf(a.measure) - order.indexOf(b.measure));
  const main = rows.find((row) => row.measure === "reserve");
  $("reserve-period").textContent = main ? `Survey period: ${main.period} (${main.source}).` : "";
  for (const row of rows) {
    appendRow(body, [
      [RESERVE_LABELS[row.measure] + (main && row.period !== main.period ? ` (${row.period})` : ""), ""],
      [reserveFigure(row.measure, row.value), "number"],
      [row.lo_80 == null ? "" : `${reserveFigure(row.measure, row.lo_80)} to ${reserveFigure(row.measure, row.hi_80)}`, "number"],
      [reserveFigure(row.measure, row.england), "number"],
    ]);
  }
  for (const row of answer.fill || []) {
    appendRow(fillBody, [
      [BAND_TITLES[row.band] || row.band, ""],
      [signed(row.gap), "number"],
      [`${signed(row.gap_lo_80)} to ${signed(row.gap_hi_80)}`, "number"],
      [people(row.at_england_rates), "number"],
      [people(row.filled) + (row.share_filled == null ? "" : ` (${Math.round(row.share_filled * 100)}%)`), "number"],
    ]);
  }
  const share = answer.assumptions && answer.assumptions.wants_job_share;
  $("reserve-assumptions").textContent = share == null ? "" :
    `Gaps in ${answer.year}. Share of the inactive who want a job: ${(share * 100).toFixed(1)}% (England's` +
    (answer.assumptions.national_period ? `, ${answer.assumptions.national_period}` : ", set") + "); the qualification mix is estimated (docs/labour_reserve.md).";
}

function percent(value) { return value == null ? "-" : (value * 100).toFixed(1) + "%"; }
function perThousand(value) { return value == null ? "-" : (value >= 0 ? "+" : "") + value.toFixed(1); }

async function drawCompare(event) {
  if (event) event.preventDefault();
  if (!state.area) return;
  const picked = $("compare-with").value.split(",").map((text) => text.trim()).filter(Boolean);
  const body = $("compare").querySelector("tbody");
  try {
    const answer = await call("/compare", { area: state.area, with_areas: picked });
    body.replaceChildren();
    for (const row of answer.rows) {
      appendRow(body, [
        [`${row.name} (${row.area})`, ""],
        [row.role + (row.distance == null || row.role !== "statistical neighbour" ? "" : ` (distance ${row.distance.toFixed(2)})`), "role"],
        [row.jobs == null ? "-" : people(row.jobs), "number"],
        [percent(row.high_share_jobs), "number"], [percent(row.high_share_people), "number"],
        [perThousand(row.low_gap_per_1000), "number"], [perThousand(row.intermediate_gap_per_1000), "number"],
        [perThousand(row.high_gap_per_1000), "number"], [percent(row.inactivity_rate), "number"],
        [row.reserve_per_1000 == null ? "-" : row.reserve_per_1000.toFixed(0), "number"],
      ]);
    }
    $("compare-method").textContent = `Gaps in ${answer.year}. Statistical neighbours: ${answer.neighbours_method}.`;
  } catch (error) {
    $("compare-method").textContent = error.message;
  }
}

function scenarioFromForm() {
  const lever = $("scenario-lever").value;
  const scenario = { name: $("scenario-name").value.trim() || "my scenario" };
  const fromYear = Number($("scenario-from").value);
  if (lever === "retention" || lever === "completions") {
    scenario[lever] = [{ level: $("scenario-level").value, people_per_year: Number($("scenario-people").value), from_year: fromYear }];
  } else if (lever === "demand") {
    scenario.demand = [{ occupation: $("scenario-occupation").value.trim(), growth_pct_per_year: Number($("scenario-growth").value) }];
  } else {
    scenario.activity = { to_england: true };
  }
  return scenario;
}

async function runScenario(event) {
  event.preventDefault();
  if (!state.area) return;
  const scenario = scenarioFromForm();
  const body = $("scenario-table").querySelector("tbody");
  $("scenario-status").textContent = "running the scenario (the area is analysed again; the first run takes longer) ...";
  try {
    body.replaceChildren();
    if (scenario.activity) {
      const answer = await call("/labour-reserve", { area: state.area, scenario });
      for (const row of answer.scenario_fill || []) {
        appendRow(body, [[BAND_TITLES[row.band] || row.band, ""], [String(answer.year), "number"], [signed(row.gap), "number"],
          [signed(row.gap - row.filled), "number"], ["", ""], [signed(-row.filled), "number"], ["", ""]]);
      }
      $("scenario-echo").textContent = `Scenario as run: ${JSON.stringify(answer.scenario)}. People brought into work fill a shortage only (gap - filled); docs/labour_reserve.md.`;
    } else {
      const answer = await call("/gaps", { area: state.area, scenario });
      const years = [2030, 2035];
      const scenarioRows = Object.fromEntries(answer.rows.map((row) => [`${row.band}|${row.year}`, row]));
      for (const effect of answer.effects.filter((row) => BANDS.includes(row.band) && years.includes(row.year))) {
        const row = scenarioRows[`${effect.band}|${effect.year}`];
        appendRow(body, [
          [BAND_TITLES[effect.band], ""], [String(effect.year), "number"], [signed(effect.baseline_gap), "number"],
          [signed(effect.scenario_gap), "number"], [`${signed(row.gap_lo_80)} to ${signed(row.gap_hi_80)}`, "number"],
          [signed(effect.effect), "number effect"], [`${signed(effect.effect_lo_80)} to ${signed(effect.effect_hi_80)}`, "number"],
        ]);
      }
      $("scenario-echo").textContent = `Scenario as run: ${JSON.stringify(answer.scenario)}. Run on ${answer.scenario_inputs}. ${answer.effect_method}.`;
    }
    $("scenario-table").hidden = false;
    $("scenario-status").textContent = `Scenario '${scenario.name}' against the baseline for ${state.area}.`;
  } catch (error) {
    $("scenario-table").hidden = true;
    $("scenario-status").textContent = error.message;
  }
}

// -- flow --------------------------------------------------------------------------------
async function showArea(code) {
  state.area = code;
  const ticket = ++state.shown;  // a later pick supersedes this one: its answers, if they come last, are not drawn
  say("loading " + code + " ...");
  try {
    const gaps = await call("/gaps", { area: code });
    let priorities = { rows: [] };
    let budget = null, budgetNote = "";
    try { budget = budgetValue(); } catch (error) { budgetNote = error.message; }
    try { priorities = await priorityAnswer(code, budget); } catch (error) { if (!error.message.startsWith("400")) throw error; }
    let shortages = { rows: [] };
    try { shortages = await call("/shortages", { area: code }); } catch (error) { if (!/^40[04]/.test(error.message)) throw error; }
    let reserve = { rows: [], fill: [] };
    try { reserve = await call("/labour-reserve", { area: code }); } catch (error) { if (!/^40[04]/.test(error.message)) throw error; }
    if (ticket !== state.shown) return;
    const observedYears = gaps.rows.filter((r) => r.basis === "observed").map((r) => r.year);
    const lastObserved = observedYears.length ? Math.max(...observedYears) : undefined;
    $("area-title").textContent = `${gaps.area_name} (${gaps.area})` + (gaps.flagged ? " - FLAGGED" : "");
    $("area-description").textContent = state.descriptions[gaps.area] || "";
    $("synthetic-note").hidden = !gaps.synthetic;
    const warnings = $("area-warnings");
    warnings.replaceChildren(...(gaps.warnings || []).map((text) => { const p = document.createElement("p"); p.textContent = text; return p; }));
    warnings.hidden = !(gaps.warnings || []).length;
    const bases = { workplace: "the workers its jobs draw on", active: "economically active people", people: "everyone aged 16-64" };
    $("basis-line").textContent = gaps.gap_basis ? `Supply basis: ${gaps.gap_basis} (${bases[gaps.gap_basis] || gaps.gap_basis}).` : "";
    if ($("area").querySelector(`option[value="${gaps.area}"]`)) $("area").value = gaps.area;
    drawSupplyDemand(gaps.rows, lastObserved);
    drawGaps(gaps.rows, lastObserved);
    drawPriorities(priorities.rows, Boolean(priorities.purchases));
    drawPurchases(priorities.purchases ? { ...priorities, rows: priorities.all_rows } : null);
    $("budget-status").textContent = budgetNote;
    drawShortages(shortages.rows);
    drawReserve(reserve);
    drawCompare();
    $("no-priorities").textContent = gaps.flagged
      ? "No occupation ranking: this area failed the alignment check (see the warning above), so it is left out of rankings."
      : "No occupation ranking for this area (the data have no employment by occupation here).";
    $("results").hidden = false;
    say(`Showing ${gaps.area_name}.`);
  } catch (error) {
    if (ticket === state.shown) say(error.message, true);
  }
}

async function connect(event) {
  if (event) event.preventDefault();
  state.key = $("api-key").value.trim() || state.key;
  try {
    const [areas, model] = await Promise.all([call("/areas", {}), call("/model", {})]);
    sessionStorage.setItem("skillcast-key", state.key);
    const select = $("area");
    select.replaceChildren();
    for (const area of areas.areas.filter((a) => a.gaps)) {
      const option = document.createElement("option");
      option.value = area.code;
      option.textContent = `${area.name} (${area.code}, ${area.type})`;
      select.appendChild(option);
      state.descriptions[area.code] = area.description || "";
    }
    $("model-line").textContent = `model ${model.model}` + (model.model_version ? ` version ${model.model_version}` : "") +
      `, trained ${(model.trained_at || "?").slice(0, 10)}, data to ${model.last_observed_year}`;
    // what each source last observed (the data vintage), stale sources marked
    $("data-line").textContent = (model.data_vintage || []).length
      ? "data: " + model.data_vintage.map((entry) => `${entry.what} to ${entry.last_period}` + (entry.stale ? " (old)" : "")).join("; ")
      : "";
    $("picker").hidden = false;
    say(`connected: ${select.options.length} areas with gaps`);
    if (select.options.length) await showArea(select.value);
  } catch (error) {
    say(error.message.startsWith("401") || error.message.startsWith("403") ? "key refused - " + error.message : error.message, true);
  }
}

// Typing a name: GET /areas?q= finds it (any case, '&' or 'and', shortened or retired names, a typo);
// one answer is shown at once, several are listed to choose from.
async function find(event) {
  if (event) event.preventDefault();
  const text = $("find").value.trim();
  const list = $("matches");
  list.replaceChildren();
  list.hidden = true;
  if (!text) return;
  try {
    const found = await get(`/areas?q=${encodeURIComponent(text)}`);
    const usable = found.areas.filter((area) => area.gaps);
    if (found.resolved && usable.some((area) => area.code === found.resolved)) { await showArea(found.resolved); return; }
    for (const area of usable) {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "match";
      button.textContent = area.description || `${area.name} (${area.code})`;
      button.addEventListener("click", () => { list.hidden = true; showArea(area.code); });
      item.appendChild(button);
      list.appendChild(item);
    }
    list.hidden = usable.length === 0;
    say(usable.length ? `${usable.length} areas match '${text}': choose one` : `no area with gaps matches '${text}'`, !usable.length);
  } catch (error) {
    say(error.message, true);
  }
}

$("key-form").addEventListener("submit", connect);
$("find-form").addEventListener("submit", find);
$("area").addEventListener("change", (event) => showArea(event.target.value));
$("download-xlsx").addEventListener("click", () => download(`/download/export.xlsx?area=${encodeURIComponent(state.area)}`, `skillcast-${state.area}.xlsx`));
$("download-csv").addEventListener("click", () => download(`/download/gaps.csv?area=${encodeURIComponent(state.area)}`, `skillcast-gaps-${state.area}.csv`));
if (state.key) { $("api-key").value = state.key; connect(); }
$("scenario-form").addEventListener("submit", runScenario);
$("compare-form").addEventListener("submit", drawCompare);
$("budget-form").addEventListener("submit", applyBudget);
