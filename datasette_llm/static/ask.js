/* datasette-llm: the Ask page. Streams one question at a time from {database}/-/ask.stream (server-sent
   events over fetch, so the POST carries the CSRF token and Cancel can abort it) and keeps the conversation
   (questions and their SQL, never rows) for follow-up questions. All text goes into the page as text. */
(function () {
  "use strict";

  var form = document.getElementById("ask-form");
  if (!form) {
    return;
  }
  var box = document.getElementById("ask-question");
  var submit = document.getElementById("ask-submit");
  var cancelButton = document.getElementById("ask-cancel");
  var resetButton = document.getElementById("ask-reset");
  var label = form.querySelector("label[for=ask-question]");
  var examples = document.getElementById("ask-examples");
  var conversation = document.getElementById("ask-conversation");
  var progress = document.getElementById("ask-progress");
  var stageText = document.getElementById("ask-stage");
  var elapsedText = document.getElementById("ask-elapsed");
  var progressSql = document.getElementById("ask-progress-sql");
  /* What a screen reader says when a question ends: the answer, how many rows, or "Cancelled." (the progress
     status is hidden by then, and nothing else on the page is a live region; an outside tester, session 41). */
  var announcer = document.getElementById("ask-announce");
  var firstLabel = label.innerHTML;
  var firstPlaceholder = box.placeholder;
  var modeSelect = document.getElementById("ask-mode");

  var STAGES = {
    started: "Reading the schema",
    route: "Choosing how to answer",
    retrieving: "Finding relevant passages",
    examples: "Found similar trusted examples",
    writing_sql: "Writing SQL",
    checking: "Checking the SQL",
    running: "Running the query",
    answering: "Writing the answer"
  };
  var TIMINGS = [
    ["schema", "schema"], ["sql_generation", "writing SQL"], ["sql_execution", "running SQL"],
    ["retrieval", "finding passages"], ["answer", "answering"], ["total", "total"]
  ];
  var PATHS = {sql: "a SQL query", text: "text passages", both: "a SQL query, then text passages"};

  var state = {turns: [], controller: null, timer: null, started: 0, chartsHidden: false};

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined && text !== null) {
      node.textContent = String(text);
    }
    return node;
  }

  function plural(n, word) {
    return n.toLocaleString() + " " + word + (n === 1 ? "" : "s");
  }

  /* Model text with **bold** and `code` shown as such; everything else stays plain text. */
  function richText(node, text) {
    node.textContent = "";
    var parts = String(text).split(/(\*\*[^*\n]+\*\*|`[^`\n]+`)/);
    parts.forEach(function (part) {
      if (/^\*\*[^*]+\*\*$/.test(part)) {
        node.appendChild(el("strong", null, part.slice(2, -2)));
      } else if (/^`[^`]+`$/.test(part)) {
        node.appendChild(el("code", null, part.slice(1, -1)));
      } else if (part) {
        node.appendChild(document.createTextNode(part));
      }
    });
  }

  /* ---- progress ---------------------------------------------------------------------------------- */

  function setBusy(busy) {
    submit.disabled = busy;
    if (modeSelect) {
      modeSelect.disabled = busy;
    }
    cancelButton.hidden = !busy;
    resetButton.hidden = busy || conversation.children.length === 0;
    document.querySelectorAll(".ask-example").forEach(function (button) {
      button.disabled = busy;
    });
  }

  function showStage(name, data) {
    var text = STAGES[name] || name;
    if (data && data.attempt > 1 && (name === "writing_sql" || name === "checking" || name === "running")) {
      text += " (attempt " + data.attempt + ")";
    }
    stageText.textContent = text + "…";
    progress.dataset.stage = name;
    if (name === "running" && data && data.sql) {
      progressSql.textContent = data.sql;
      progressSql.hidden = false;
    } else if (name === "writing_sql") {
      progressSql.hidden = true;
    }
  }

  function startProgress(turn) {
    turn.appendChild(progress);
    progress.hidden = false;
    progressSql.hidden = true;
    state.started = performance.now();
    elapsedText.textContent = "0 s";
    showStage("started");
    /* Once a second, and no animation: the browser often shares the CPU with the model (measured in headless
       Chromium: a spinning indicator plus a 0.1 s counter took 12% of a core, this 1%). */
    state.timer = window.setInterval(function () {
      elapsedText.textContent = Math.floor((performance.now() - state.started) / 1000) + " s";
    }, 1000);
  }

  function stopProgress() {
    window.clearInterval(state.timer);
    progress.hidden = true;
    delete progress.dataset.stage;
  }

  /* ---- the event stream ------------------------------------------------------------------------ */

  function parseEvent(block) {
    var name = "message";
    var data = [];
    block.split("\n").forEach(function (line) {
      if (line.indexOf("event:") === 0) {
        name = line.slice(6).trim();
      } else if (line.indexOf("data:") === 0) {
        data.push(line.slice(5).replace(/^ /, ""));
      }
    });
    if (!data.length) {
      return null;
    }
    var text = data.join("\n");
    var parsed = JSON.parse(text);
    if (parsed && Array.isArray(parsed.rows)) {
      parsed.rows = JSON.parse(exactNumbers(text)).rows;
    }
    return {name: name, data: parsed};
  }

  /* The rows' numbers as the server wrote them: JSON.parse turns 9223372036854775807 into 9223372036854776000 and
     the REAL 1.0 into the integer 1, numbers the database did not return (an outside tester, session 36). Every
     number outside a string becomes {"$number": its text}, which cellFor shows as written (Python writes them as
     Datasette's own tables show them). A cell is never such an object: blobs are {"$base64": ...}, text is text. */
  var JSON_TOKEN = /"(?:[^"\\]|\\.)*"|-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/g;

  function exactNumbers(text) {
    return text.replace(JSON_TOKEN, function (token) {
      return token.charAt(0) === '"' ? token : '{"$number":"' + token + '"}';
    });
  }

  async function readEvents(body, onEvent) {
    var reader = body.getReader();
    var decoder = new TextDecoder();
    var buffer = "";
    for (;;) {
      var chunk = await reader.read();
      if (chunk.done) {
        break;
      }
      buffer = (buffer + decoder.decode(chunk.value, {stream: true})).replace(/\r\n/g, "\n");
      var end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        var event = parseEvent(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        if (event) {
          onEvent(event.name, event.data);
        }
      }
    }
  }

  async function errorFromResponse(response) {
    try {
      return await response.json();
    } catch (e) {
      return {error: "The server answered " + response.status + " " + response.statusText + "."};
    }
  }

  /* ---- rendering a turn -------------------------------------------------------------------------- */

  function newTurn(question) {
    var turn = el("section", "ask-turn");
    turn.appendChild(el("h2", "ask-question", question));
    var answer = el("div", "ask-answer");
    turn.appendChild(answer);
    conversation.appendChild(turn);
    return {node: turn, answer: answer, tokens: ""};
  }

  /* A box wider content scrolls in: focusable, so the keyboard can scroll it too (at 320 px the chart's bars and
     the snippet's lines were out of reach without a mouse; an outside tester, session 41). */
  function scrollableByKeyboard(node, name) {
    node.tabIndex = 0;
    node.setAttribute("role", "region");
    node.setAttribute("aria-label", name);
  }

  function announce(text) {
    if (!announcer) {
      return;
    }
    announcer.textContent = "";
    window.setTimeout(function () {  // emptied first, so the same words are said again
      announcer.textContent = text;
    }, 100);
  }

  function resultSummary(result, shown) {
    var parts = [];
    if (result.answer && shown) {
      parts.push("Answer: " + shown);  // as the page draws it, without the markup's stars (session 41)
    }
    if (typeof result.row_count === "number" && result.sql) {
      var capped = "row_cap_hit" in result ? result.row_cap_hit : result.truncated;  // as appendRows counts
      parts.push((capped ? "At least " : "") + plural(result.row_count, "row") + " returned.");
    }
    if (result.warnings && result.warnings.length) {
      parts.push(plural(result.warnings.length, "warning") + " below the answer.");
    }
    return parts.join(" ");
  }

  function showError(turn, data) {
    var message = (data && data.error) || "Something went wrong.";
    if (data && data.retry_after) {
      message += " (The server suggests trying again in " + data.retry_after + " seconds.)";
    }
    var p = el("p", "message-error ask-error", message);
    p.setAttribute("role", "alert");
    turn.node.appendChild(p);
  }

  function cellFor(column, value) {
    var td = el("td");
    td.dataset.column = column;
    if (value === null || value === undefined) {
      td.className = "type-none";
    } else if (typeof value === "object" && typeof value.$number === "string") {
      td.className = /[.eE]/.test(value.$number) ? "type-float" : "type-int";
      td.textContent = value.$number;
    } else if (typeof value === "number") {
      td.className = Number.isInteger(value) ? "type-int" : "type-float";
      td.textContent = String(value);
    } else if (typeof value === "object" && value.$base64) {
      td.className = "type-bytes";
      // A blob longer than a cell may hold arrives clipped, with its size in the database in `bytes`.
      var size = value.clipped ? (value.bytes.$number || value.bytes) : atob(value.encoded).length;
      td.appendChild(el("em", null, "<Binary: " + size + " bytes>"));
    } else {
      td.className = "type-str";
      shortText(td, String(value));
    }
    return td;
  }

  var CLIP_MARKER = "…[clipped]";

  /* Text longer than Datasette's truncate_cells_html setting is cut there, as on Datasette's own tables, with a
     button that shows the rest: a page of README-sized cells took Chromium's CPU from the model's answer. */
  function shortText(td, text) {
    var limit = parseInt(form.dataset.truncateCells || "0", 10);
    // Characters as SQLite and Datasette count them (code points), not JavaScript's UTF-16 units: a cell of 2,100
    // emoji offered "show all 4,200 characters" and was cut inside one (an outside tester, session 40).
    var chars = Array.from(text);
    if (!(limit > 0) || chars.length <= limit) {
      td.textContent = text;
      return;
    }
    td.textContent = chars.slice(0, limit).join("") + "… ";
    // A cell longer than the server holds arrives cut, ending in CLIP_MARKER (sql/clipping.py): not "all" of it.
    var held = text.slice(-CLIP_MARKER.length) === CLIP_MARKER ? chars.length - Array.from(CLIP_MARKER).length : null;
    var more = el("button", "ask-cell-more", held === null
      ? "show all " + chars.length.toLocaleString() + " characters"
      : "show the first " + held.toLocaleString() + " characters (the cell is longer)");
    more.type = "button";
    more.addEventListener("click", function () {
      td.textContent = text;
    });
    td.appendChild(more);
  }

  function rowsTable(columns, rows) {
    var wrapper = el("div", "table-wrapper");
    var table = el("table", "rows-and-columns");
    var headRow = el("tr");
    columns.forEach(function (column) {
      var th = el("th", null, column);
      th.scope = "col";
      headRow.appendChild(th);
    });
    var thead = el("thead");
    thead.appendChild(headRow);
    var tbody = el("tbody");
    rows.forEach(function (row) {
      var tr = el("tr");
      row.forEach(function (value, i) {
        tr.appendChild(cellFor(columns[i], value));
      });
      tbody.appendChild(tr);
    });
    table.appendChild(thead);
    table.appendChild(tbody);
    wrapper.appendChild(table);
    return wrapper;
  }

  function attemptsDetails(attempts, open) {
    var details = el("details", "ask-attempts");
    details.open = open;
    var failed = attempts.filter(function (a) { return a.error; }).length;
    details.appendChild(el("summary", null, plural(attempts.length, "attempt") +
      (failed ? " (" + failed + " sent back)" : "")));
    var list = el("ol");
    attempts.forEach(function (attempt) {
      var item = el("li");
      if (attempt.sql) {
        item.appendChild(el("pre", "ask-sql", attempt.sql));
      } else {
        item.appendChild(el("pre", "ask-reply", attempt.reply));
      }
      if (attempt.error) {
        // A query that ran and was sent back (no rows, or logic that looks wrong) differs from a rejected one.
        var why = (attempt.row_count === null || attempt.row_count === undefined ? "Rejected: " :
          "Ran: " + plural(attempt.row_count, "row") + ", then sent back: ") + attempt.error;
        if (attempt.suggestions && attempt.suggestions.length) {
          why += " (did you mean " + attempt.suggestions.join(", ") + "?)";
        }
        item.appendChild(el("p", "ask-attempt-error", why));
      } else {
        item.appendChild(el("p", "ask-meta", "Ran: " + plural(attempt.row_count || 0, "row")));
        if (attempt.fixes && attempt.fixes.length) {
          item.appendChild(el("p", "ask-meta", "Mended before it ran: " + attempt.fixes.join("; ")));
        }
      }
      list.appendChild(item);
    });
    details.appendChild(list);
    return details;
  }

  function candidatesDetails(candidates) {
    var details = el("details", "ask-candidates");
    var chosen = candidates.filter(function (c) { return c.chosen; })[0];
    details.appendChild(el("summary", null, plural(candidates.length, "candidate") +
      (chosen ? ", " + chosen.votes + " agreed on the result shown" : "")));
    var list = el("ol");
    candidates.forEach(function (candidate) {
      var item = el("li", candidate.chosen ? "ask-candidate-chosen" : null);
      item.appendChild(el("pre", "ask-sql", candidate.sql || "(no SQL)"));
      item.appendChild(el("p", candidate.error ? "ask-attempt-error" : "ask-meta", candidate.error ?
        "Failed: " + candidate.error : plural(candidate.row_count || 0, "row") + ", " +
        plural(candidate.votes, "vote") + (candidate.chosen ? " (chosen)" : "")));
      list.appendChild(item);
    });
    details.appendChild(list);
    return details;
  }

  function sourcesList(passages, citations) {
    var cited = citations.map(function (c) { return c.number; });
    var list = el("ol", "ask-sources");
    passages.forEach(function (passage) {
      var item = el("li", cited.indexOf(passage.number) >= 0 ? "ask-cited" : null);
      item.value = passage.number;
      var name = el(passage.url ? "a" : "strong", null, passage.label);
      if (passage.url) {
        name.href = passage.url;
      }
      item.appendChild(name);
      item.appendChild(el("span", "ask-meta", " " + passage.table +
        (cited.indexOf(passage.number) >= 0 ? " · cited" : "")));
      var details = el("details");
      details.appendChild(el("summary", "ask-meta", passage.clipped ?
        "Passage shown to the model (" + passage.shown_chars.toLocaleString() + " of " +
        passage.full_chars.toLocaleString() + " characters)" : "Passage shown to the model"));
      details.appendChild(el("pre", "ask-reply", passage.text));
      item.appendChild(details);
      list.appendChild(item);
    });
    return list;
  }

  function timingsLine(result) {
    var bits = [];
    TIMINGS.forEach(function (pair) {
      if (typeof result.timings[pair[0]] === "number") {
        bits.push(pair[1] + " " + result.timings[pair[0]].toFixed(2) + " s");
      }
    });
    return "Model " + result.model + (bits.length ? " · " + bits.join(" · ") : "");
  }

  /* "Returned N rows" and the rows (a `rows` event: `truncated` is the row cap; or the final result, whose
     `truncated` also says the model read less, and `row_cap_hit` says the query returned more: "at least 3 rows"
     of a complete result with one cell cut for the model, an outside tester, session 40). */
  function appendRows(parent, data, drawn) {
    var capped = "row_cap_hit" in data ? data.row_cap_hit : data.truncated;
    var count = capped ? "at least " + plural(data.row_count, "row") : plural(data.row_count, "row");
    parent.appendChild(el("h3", null, "Returned " + count));
    if (data.row_count) {
      parent.appendChild(drawn || rowsTable(data.columns, data.rows));
    } else {
      parent.appendChild(el("p", "zero-results", "0 records"));
    }
  }

  /* What a table of rows was drawn from: the final result reuses the early table when they are the same rows. */
  function rowsKey(data) {
    return JSON.stringify([data.sql, data.columns, data.row_count, (data.rows || []).length]);
  }

  /* ---- charts: the Vega-Lite spec in result.chart, drawn by the vendored vega and vega-lite ---------- */

  var CHART_NAMES = {line: "Line", bar: "Bar", scatter: "Scatter", number: "Number"};
  var chartLibrary = null;

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = src;
      script.onload = resolve;
      script.onerror = function () {
        reject(new Error("could not load " + src));
      };
      document.head.appendChild(script);
    });
  }

  /* The libraries load once, in order (vega-lite needs vega), and only when a result has a chart. */
  function loadChartLibrary() {
    if (!chartLibrary) {
      var sources = (form.dataset.chartScripts || "").split(" ").filter(Boolean);
      chartLibrary = sources.reduce(function (loaded, src) {
        return loaded.then(function () { return loadScript(src); });
      }, Promise.resolve());
      chartLibrary.catch(function () {
        chartLibrary = null;  // try again with the next chart
      });
    }
    return chartLibrary;
  }

  function drawChart(figure, spec) {
    var area = figure.querySelector(".ask-chart-view");
    if (figure.view) {
      figure.view.finalize();
      figure.view = null;
    }
    area.textContent = "";
    delete figure.dataset.drawn;
    return loadChartLibrary().then(function () {
      figure.view = new window.vega.View(window.vega.parse(window.vegaLite.compile(spec).spec), {
        renderer: "svg", container: area, hover: true
      });
      return figure.view.runAsync();
    }).then(function () {
      figure.dataset.drawn = figure.dataset.kind;
    }).catch(function (error) {
      area.textContent = "";
      area.appendChild(el("p", "ask-meta ask-chart-error", "The chart could not be drawn: " + error.message));
    });
  }

  /* The chart above the rows, with a button per suitable kind of chart and one to hide it. */
  function chartFigure(chart) {
    var meta = (chart.usermeta && chart.usermeta.datasette_llm) || {};
    var specs = {};
    specs[meta.kind || "chart"] = chart;
    Object.keys(meta.alternatives || {}).forEach(function (kind) {
      specs[kind] = meta.alternatives[kind];
    });
    var figure = el("figure", "ask-chart");
    var controls = el("p", "ask-chart-controls");
    var kindButtons = [];
    var hide = el("button", "ask-chart-hide");
    hide.type = "button";
    var area = el("div", "ask-chart-view");
    scrollableByKeyboard(area, "Chart");

    function show(kind) {
      figure.dataset.kind = kind;
      kindButtons.forEach(function (button) {
        button.setAttribute("aria-pressed", String(button.dataset.kind === kind));
      });
      drawChart(figure, specs[kind]);
    }

    function setHidden(hidden) {
      state.chartsHidden = hidden;
      area.hidden = hidden;
      figure.classList.toggle("ask-chart-hidden", hidden);
      kindButtons.forEach(function (button) {
        button.hidden = hidden;
      });
      hide.textContent = hidden ? "Show chart" : "Hide chart";
      hide.setAttribute("aria-expanded", String(!hidden));
      if (!hidden && !figure.dataset.kind) {
        show(Object.keys(specs)[0]);
      }
    }

    if (Object.keys(specs).length > 1) {
      Object.keys(specs).forEach(function (kind) {
        var button = el("button", "ask-chart-kind", CHART_NAMES[kind] || kind);
        button.type = "button";
        button.dataset.kind = kind;
        button.addEventListener("click", function () {
          show(kind);
        });
        kindButtons.push(button);
        controls.appendChild(button);
      });
    }
    hide.addEventListener("click", function () {
      setHidden(!area.hidden);
    });
    controls.appendChild(hide);
    figure.appendChild(controls);
    figure.appendChild(area);
    setHidden(Boolean(state.chartsHidden));  // people who hid one chart do not get the next one open
    return figure;
  }

  /* The SQL and its rows, shown the moment the query has run; the final result replaces them. */
  function showRows(turn, data) {
    var block = el("div", "ask-early-rows");
    block.appendChild(el("h3", null, "SQL"));
    block.appendChild(el("pre", "ask-sql", data.sql));
    appendRows(block, data);
    if (turn.early) {
      turn.early.remove();
    }
    turn.early = block;
    turn.earlyKey = rowsKey(data);
    turn.node.appendChild(block);
  }

  /* The passages a text answer is written from, shown the moment they are found; the final result replaces
     them with the same list, its cited passages marked. */
  function showPassages(turn, data) {
    var block = el("div", "ask-early-sources");
    block.appendChild(el("h3", null, "Sources"));
    block.appendChild(sourcesList(data.passages || [], []));
    if (turn.earlySources) {
      turn.earlySources.remove();
    }
    turn.earlySources = block;
    turn.node.appendChild(block);
  }

  /* ---- keeping a result: edit, download, save as a query ------------------------------------------- */

  function link(className, text, href) {
    var a = el("a", className, text);
    a.href = href;
    return a;
  }

  /* Edit this SQL and CSV / JSON (only for actors who may use Datasette's SQL page), and Save as query:
     through Datasette's stored-query API where the actor may store queries, else a canned-query snippet. */
  function keepLinks(node, result) {
    var links = el("p", "ask-links");
    if (result.edit_sql_url) {
      links.appendChild(link("ask-edit-sql", "Edit this SQL", result.edit_sql_url));
    }
    if (result.downloads) {
      links.appendChild(link("ask-download-csv", "CSV", result.downloads.csv));
      links.appendChild(link("ask-download-json", "JSON", result.downloads.json));
    }
    var save = result.save_query;
    var panel = el("div", "ask-save");
    panel.hidden = true;
    if (save) {
      var button = el("button", "ask-save-query", "Save as query");
      button.type = "button";
      button.addEventListener("click", function () {
        if (save.mode === "store") {
          storeQuery(save, button, panel);
        } else {
          panel.hidden = !panel.hidden;
          button.setAttribute("aria-expanded", String(!panel.hidden));
        }
      });
      links.appendChild(button);
      if (save.mode !== "store") {
        button.setAttribute("aria-expanded", "false");
        fillSnippet(panel, save);
      }
    }
    if (links.children.length) {
      node.appendChild(links);
      node.appendChild(panel);
    }
  }

  function fillSnippet(panel, save) {
    var where = el("p", "ask-save-where");
    where.appendChild(document.createTextNode("This Datasette keeps no saved queries from this page. To keep this "
      + "one as a canned query titled by the question, add this to "));
    where.appendChild(el("code", null, save.file));
    where.appendChild(document.createTextNode(" (merged with what is there) and restart Datasette; it will be at "));
    where.appendChild(el("code", null, form.dataset.databaseUrl + "/" + save.name));
    where.appendChild(document.createTextNode("."));
    panel.appendChild(where);
    var pre = el("pre", "ask-save-snippet", save.yaml);
    scrollableByKeyboard(pre, "Canned query to copy");
    panel.appendChild(pre);
    var copy = el("button", "ask-save-copy", "Copy");
    copy.type = "button";
    copy.addEventListener("click", function () {
      if (navigator.clipboard) {
        navigator.clipboard.writeText(save.yaml).then(function () {
          copy.textContent = "Copied";
        }, function () {
          copy.textContent = "Select the text and copy it";
        });
      }
    });
    panel.appendChild(copy);
  }

  /* Datasette's own API stores the query as the signed-in actor (private: only they see it). */
  async function storeQuery(save, button, panel) {
    button.disabled = true;
    panel.hidden = false;
    panel.textContent = "";
    var status = el("p", "ask-save-status", "Saving...");
    status.setAttribute("role", "status");
    panel.appendChild(status);
    var body = {query: {name: save.query.name, title: save.query.title, sql: save.query.sql, is_private: true}};
    try {
      var response = await fetch(save.store_url, {
        method: "POST",
        credentials: "same-origin",
        headers: {"content-type": "application/json", "accept": "application/json"},
        body: JSON.stringify(body)
      });
      var data = await errorFromResponse(response);
      if (!response.ok || !data.ok) {
        var message = (data.errors && data.errors.join(" ")) || data.error || ("HTTP " + response.status);
        status.className = "message-error ask-save-status";
        status.textContent = "The query was not saved: " + message;
        button.disabled = false;
        return;
      }
      var name = (data.query && data.query.name) || save.query.name;
      status.textContent = "Saved as ";
      status.appendChild(link("ask-saved-query", save.query.title, save.query_url || name));
      status.appendChild(document.createTextNode(" (private: only you can see it)."));
      button.textContent = "Saved";
    } catch (error) {
      status.className = "message-error ask-save-status";
      status.textContent = "The query was not saved: " + error.message;
      button.disabled = false;
    }
  }

  /* ---- teaching: "This is right" (actors with llm-teach) and "This is wrong", sent as feedback ---------- */

  function button(className, text) {
    var node = el("button", className, text);
    node.type = "button";
    return node;
  }

  function feedbackBlock(result) {
    var block = el("div", "ask-feedback");
    var buttons = el("p", "ask-feedback-buttons");
    var panel = el("div", "ask-wrong-panel");
    var status = el("p", "ask-feedback-status");
    status.setAttribute("role", "status");
    status.tabIndex = -1;  // focus goes to it once the buttons are gone (it fell to the page's body)
    status.hidden = true;
    panel.hidden = true;
    var body = {question: result.question, sql: result.example_sql || result.sql};
    if (form.dataset.canTeach) {
      var right = button("ask-right", "This is right");
      right.title = "Save the question and this SQL as a trusted example for similar questions";
      right.addEventListener("click", function () {
        sendFeedback(block, Object.assign({verdict: "right"}, body), "Saved as a trusted example.");
      });
      buttons.appendChild(right);
    }
    var wrong = button("ask-wrong", "This is wrong");
    wrong.setAttribute("aria-expanded", "false");
    var commentId = "ask-wrong-comment-" + conversation.children.length;
    var label = el("label", null, "What is wrong? (optional)");
    label.htmlFor = commentId;
    var comment = el("textarea", "ask-wrong-comment");
    comment.id = commentId;
    comment.rows = 2;
    comment.maxLength = 2000;
    var send = button("ask-wrong-send", "Send");
    wrong.addEventListener("click", function () {
      panel.hidden = !panel.hidden;
      wrong.setAttribute("aria-expanded", String(!panel.hidden));
      if (!panel.hidden) {
        comment.focus();
      }
    });
    send.addEventListener("click", function () {
      sendFeedback(block, Object.assign({verdict: "wrong", comment: comment.value}, body), "Thanks — recorded.");
    });
    buttons.appendChild(wrong);
    panel.appendChild(label);
    panel.appendChild(comment);
    panel.appendChild(send);
    block.appendChild(buttons);
    block.appendChild(panel);
    block.appendChild(status);
    return block;
  }

  async function sendFeedback(block, body, done) {
    var status = block.querySelector(".ask-feedback-status");
    var controls = block.querySelectorAll("button, textarea");
    controls.forEach(function (control) {
      control.disabled = true;
    });
    status.hidden = false;
    status.className = "ask-feedback-status";
    status.textContent = "Saving…";
    try {
      var response = await fetch(form.dataset.feedbackUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: {"content-type": "application/json", "accept": "application/json",
                  "x-csrftoken": form.dataset.csrftoken},
        body: JSON.stringify(body)
      });
      var data = await errorFromResponse(response);
      if (!response.ok || !data.ok) {
        throw new Error(data.error || ("HTTP " + response.status));
      }
      block.querySelector(".ask-feedback-buttons").hidden = true;
      block.querySelector(".ask-wrong-panel").hidden = true;
      status.textContent = done;
    } catch (error) {
      status.className = "message-error ask-feedback-status";
      status.textContent = "Not saved: " + error.message;
      controls.forEach(function (control) {
        control.disabled = false;
      });
    }
    // to the message, from the controls the save disabled (focus had fallen to the page's body), but never from
    // where the person went meanwhile: a question typed during the save lost its rest (a second tester, session 41)
    var at = document.activeElement;
    if (!at || at === document.body || block.contains(at)) {
      status.focus();
    }
  }

  /* The trusted examples and saved queries the model was shown while writing the SQL. */
  function guidedDetails(examples) {
    var details = el("details", "ask-guided");
    details.appendChild(el("summary", null, "Guided by " + plural(examples.length, "trusted example")));
    var list = el("ul");
    examples.forEach(function (example) {
      var item = el("li", null, example.question);
      if (example.source === "canned") {
        item.appendChild(el("span", "ask-meta", " (saved query)"));
      }
      if (example.repeated || example.kept === false) {
        // the ones the prompt put right before the question: the model follows those most
        item.appendChild(el("span", "ask-meta", " (next to your question)"));
      }
      list.appendChild(item);
    });
    details.appendChild(list);
    return details;
  }

  function showResult(turn, result) {
    var node = turn.node;
    var drawn = null;  // the early table, drawn once (a big result took Chromium a quarter second a drawing)
    if (turn.early) {
      if (turn.earlyKey === rowsKey(result)) {
        drawn = turn.early.querySelector(".table-wrapper");
      }
      turn.early.remove();
      turn.early = null;
    }
    if (turn.earlySources) {
      turn.earlySources.remove();
      turn.earlySources = null;
    }
    node.dataset.ok = result.ok ? "1" : "0";
    node.dataset.sql = result.sql || "";
    if (result.answer) {
      richText(turn.answer, result.answer);
    } else {
      turn.answer.remove();
    }
    if (result.error) {
      showError(turn, result);
    }
    (result.warnings || []).forEach(function (warning) {
      node.appendChild(el("p", "message-warning ask-warning", warning));
    });
    if (result.sql) {
      node.appendChild(el("h3", null, "SQL"));
      node.appendChild(el("pre", "ask-sql ask-final-sql", result.sql_formatted || result.sql));
      keepLinks(node, result);
      if (result.chart) {
        node.appendChild(chartFigure(result.chart));
      }
      appendRows(node, result, drawn);
      if (form.dataset.feedbackUrl) {
        node.appendChild(feedbackBlock(result));
      }
    }
    if (result.passages && result.passages.length) {
      node.appendChild(el("h3", null, "Sources"));
      node.appendChild(sourcesList(result.passages, result.citations || []));
    }
    if (result.notes && result.notes.length) {
      var notes = el("ul", "ask-notes");
      result.notes.forEach(function (note) {
        notes.appendChild(el("li", null, note));
      });
      node.appendChild(notes);
    }
    if (result.examples && result.examples.length) {
      node.appendChild(guidedDetails(result.examples));
    }
    if (result.attempts && result.attempts.length) {
      node.appendChild(attemptsDetails(result.attempts, !result.ok));
    }
    if (result.candidates && result.candidates.length) {
      node.appendChild(candidatesDetails(result.candidates));
    }
    if (result.route && result.route.path) {
      node.appendChild(el("p", "ask-meta ask-route", "Answered with " + (PATHS[result.route.path] ||
        result.route.path) + (result.route.reason ? ": " + result.route.reason : "") + "."));
    }
    node.appendChild(el("p", "ask-meta ask-timings", timingsLine(result)));
  }

  /* ---- asking ---------------------------------------------------------------------------------- */

  function history() {
    return state.turns.map(function (turn) {
      return {question: turn.question, sql: turn.sql};
    });
  }

  async function ask(question) {
    question = question.trim();
    if (!question || state.controller) {
      return;
    }
    var turn = newTurn(question);
    var payload = {question: question, history: history()};
    if (form.dataset.table) {
      payload.table = form.dataset.table;
    }
    if (modeSelect && modeSelect.value !== "auto") {
      payload.mode = modeSelect.value;
    }
    var finished = false;
    state.controller = new AbortController();
    setBusy(true);
    startProgress(turn.node);
    if (examples) {
      examples.hidden = true;
    }
    box.value = "";
    try {
      var response = await fetch(form.action, {
        method: "POST",
        credentials: "same-origin",
        headers: {"content-type": "application/json", "accept": "text/event-stream",
                  "x-csrftoken": form.dataset.csrftoken},
        body: JSON.stringify(payload),
        signal: state.controller.signal
      });
      if (!response.ok) {
        showError(turn, await errorFromResponse(response));
        finished = true;
        return;
      }
      await readEvents(response.body, function (name, data) {
        if (name === "rows") {
          showRows(turn, data);
        } else if (name === "passages") {
          showPassages(turn, data);
        } else if (name === "answer_token") {
          turn.tokens += data.text;
          turn.answer.textContent = turn.tokens;
        } else if (name === "result") {
          finished = true;
          stopProgress();
          showResult(turn, data);
          announce(resultSummary(data, turn.answer.textContent));
          state.turns.push({question: data.question, sql: data.sql});
        } else if (name === "error") {
          finished = true;
          showError(turn, data);
        } else {
          showStage(name, data);
        }
      });
      if (!finished) {
        showError(turn, {error: "The connection closed before the answer was complete."});
      }
    } catch (error) {
      if (error.name === "AbortError") {
        turn.node.appendChild(el("p", "ask-meta ask-cancelled", "Cancelled."));
        announce("Cancelled.");
      } else if (!finished) {
        showError(turn, {error: "Could not get an answer: " + error.message});
      }
    } finally {
      stopProgress();
      state.controller = null;
      setBusy(false);
      if (turn.node.dataset.ok !== "1" && !box.value) {
        box.value = question;  // not answered: ready to be edited and asked again
      }
      if (state.turns.length) {
        label.textContent = "Ask a follow-up question";
        box.placeholder = "A follow-up, or Start over for a new topic";
      } else if (examples) {
        examples.hidden = false;
      }
      box.focus();
    }
  }

  function startOver() {
    state.turns = [];
    conversation.textContent = "";
    label.innerHTML = firstLabel;
    box.placeholder = firstPlaceholder;
    if (examples) {
      examples.hidden = false;
    }
    setBusy(false);
    box.focus();
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    ask(box.value);
  });
  box.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      ask(box.value);
    }
  });
  cancelButton.addEventListener("click", function () {
    if (state.controller) {
      state.controller.abort();
    }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && state.controller && !event.defaultPrevented) {
      state.controller.abort();  // as Cancel does
    }
  });
  resetButton.addEventListener("click", startOver);
  document.querySelectorAll(".ask-example").forEach(function (button) {
    button.addEventListener("click", function () {
      box.value = button.textContent;
      ask(button.textContent);
    });
  });

  if (form.dataset.question) {
    box.value = form.dataset.question;
    if (form.dataset.askNow) {  // opened from this site or directly; from another site's link, only filled in
      ask(form.dataset.question);
    }
  }
})();
