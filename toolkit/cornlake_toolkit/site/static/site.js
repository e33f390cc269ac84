/* CornLake catalog: search over datasets and columns, copy buttons, run filters.
   Plain JavaScript, no dependencies; works from file:// (the search index is in the page). */
(function () {
  "use strict";

  var cornlake = (window.cornlake = window.cornlake || {});

  /* Lower case, accents folded: "Município" matches "municipio". */
  function fold(text) {
    return String(text || "")
      .normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase();
  }

  function format(template, values) {
    return String(template).replace(/\{(\w+)\}/g, function (_, name) {
      return name in values ? values[name] : "";
    });
  }

  /* ---- search ---------------------------------------------------------------------------- */

  function prepare(index) {
    return index.map(function (d) {
      return {
        d: d,
        text: fold(d.text),
        columns: d.columns.map(function (c) {
          return { c: c, name: fold(c.name), text: fold([c.name, c.type, c.description].join(" ")) };
        }),
      };
    });
  }

  function matchesOf(entry, terms) {
    if (!terms.length) return { hit: true, columns: [] };
    var columns = entry.columns.filter(function (col) {
      return terms.some(function (t) { return col.text.indexOf(t) >= 0; });
    });
    var hit = terms.every(function (t) {
      return entry.text.indexOf(t) >= 0 || columns.some(function (col) { return col.text.indexOf(t) >= 0; });
    });
    columns.sort(function (a, b) {
      var an = terms.some(function (t) { return a.name.indexOf(t) >= 0; }) ? 0 : 1;
      var bn = terms.some(function (t) { return b.name.indexOf(t) >= 0; }) ? 0 : 1;
      return an - bn;
    });
    return { hit: hit, columns: hit ? columns.slice(0, 6) : [] };
  }

  function highlighted(text, terms) {
    var span = document.createElement("span");
    var folded = fold(text);
    var marks = [];
    terms.forEach(function (t) {
      var at = folded.indexOf(t);
      if (at >= 0) marks.push([at, at + t.length]);
    });
    marks.sort(function (a, b) { return a[0] - b[0]; });
    var pos = 0;
    marks.forEach(function (m) {
      if (m[0] < pos) return;
      span.appendChild(document.createTextNode(text.slice(pos, m[0])));
      var mark = document.createElement("mark");
      mark.textContent = text.slice(m[0], m[1]);
      span.appendChild(mark);
      pos = m[1];
    });
    span.appendChild(document.createTextNode(text.slice(pos)));
    return span;
  }

  function showMatches(card, columns, terms, label) {
    var box = card.querySelector(".matches");
    if (!box) return;
    box.textContent = "";
    box.hidden = columns.length === 0;
    if (!columns.length) return;
    var title = document.createElement("h3");
    title.textContent = label;
    var list = document.createElement("ul");
    columns.forEach(function (col) {
      var item = document.createElement("li");
      item.className = "match";
      item.dataset.column = col.c.name;
      var name = highlighted(col.c.name, terms);
      name.className = "mono";
      item.appendChild(name);
      var type = document.createElement("span");
      type.className = "col-type";
      type.textContent = col.c.type;
      item.appendChild(type);
      if (col.c.pii) {
        var pii = document.createElement("span");
        pii.className = "badge pii";
        pii.textContent = "PII";
        item.appendChild(pii);
      }
      list.appendChild(item);
    });
    box.appendChild(title);
    box.appendChild(list);
  }

  function setupSearch(box, index) {
    var entries = prepare(index);
    var cards = {};
    document.querySelectorAll(".card[data-table]").forEach(function (card) {
      cards[card.dataset.table] = card;
    });
    var count = document.getElementById("search-count");
    var none = document.getElementById("no-results");

    function run() {
      var terms = fold(box.value).split(/\s+/).filter(Boolean);
      var shown = 0;
      entries.forEach(function (entry) {
        var card = cards[entry.d.table];
        if (!card) return;
        var found = matchesOf(entry, terms);
        card.hidden = !found.hit;
        if (found.hit) shown += 1;
        showMatches(card, found.columns, terms, box.dataset.columnsLabel);
      });
      if (count) count.textContent = format(box.dataset.count, { n: shown, total: entries.length });
      if (none) none.hidden = shown > 0;
      cornlake.lastSearch = { query: box.value, shown: shown };
    }

    box.addEventListener("input", run);
    var query = new URLSearchParams(window.location.search).get("q");
    if (query) box.value = query;
    if (box.value) run();
    cornlake.search = function (text) {
      box.value = text;
      run();
    };
  }

  var searchBox = document.querySelector("[data-search]");
  var searchData = document.getElementById("search-index");
  if (searchBox && searchData) setupSearch(searchBox, JSON.parse(searchData.textContent));

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var typing = target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.isContentEditable);
    if (event.key === "/" && !typing) {
      var box = document.querySelector("[data-search]") || document.getElementById("topq");
      if (box) {
        event.preventDefault();
        box.focus();
      }
    }
  });

  /* ---- copy buttons ---------------------------------------------------------------------- */

  /* Without the async clipboard (old browsers, some file:// setups): a hidden textarea and
     execCommand("copy"); if that fails too, the query is selected for Ctrl+C. */
  function copyWithSelection(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.top = "0";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try {
      ok = document.execCommand("copy");
    } catch (err) {
      ok = false;
    }
    document.body.removeChild(area);
    return ok ? "execCommand" : "";
  }

  function copyText(text) {
    if (navigator.clipboard && navigator.clipboard.writeText) {
      return navigator.clipboard.writeText(text).then(
        function () { return "clipboard"; },
        function () { return copyWithSelection(text); }
      );
    }
    return Promise.resolve(copyWithSelection(text));
  }

  function selectContents(node) {
    var range = document.createRange();
    range.selectNodeContents(node);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function feedback(button, method, code) {
    var label = button.querySelector(".copy-label");
    var original = button.dataset.label || (label ? label.textContent : "");
    button.dataset.label = original;
    button.dataset.state = method ? "copied" : "failed";
    if (label) label.textContent = method ? button.dataset.copied : button.dataset.failed;
    if (!method) selectContents(code);
    clearTimeout(button._reset);
    button._reset = setTimeout(function () {
      button.dataset.state = "";
      if (label) label.textContent = original;
    }, 1800);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button.copy");
    if (!button) return;
    var code = document.querySelector(button.dataset.copy);
    if (!code) return;
    var text = code.textContent;
    copyText(text).then(function (method) {
      cornlake.lastCopy = { text: text, method: method };
      feedback(button, method, code);
      document.dispatchEvent(new CustomEvent("cornlake:copied", { detail: cornlake.lastCopy }));
    });
  });

  /* ---- run filters ----------------------------------------------------------------------- */

  document.querySelectorAll("[data-filter-target]").forEach(function (group) {
    var section = document.querySelector(group.dataset.filterTarget);
    group.addEventListener("click", function (event) {
      var chip = event.target.closest("[data-filter]");
      if (!chip || !section) return;
      group.querySelectorAll("[data-filter]").forEach(function (other) {
        other.setAttribute("aria-pressed", other === chip ? "true" : "false");
      });
      var failedOnly = chip.dataset.filter === "failed";
      section.querySelectorAll("tbody tr").forEach(function (row) {
        row.hidden = failedOnly && row.dataset.failed !== "true";
      });
    });
  });
})();
