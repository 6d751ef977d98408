// supportmetrics dashboard: renders the Vega-Lite specs embedded in the page, follows drill-down
// links from chart marks, sorts tables, keeps the range selector and custom dates consistent, and
// loads a panel computed on request (a link with data-panel) in place instead of following it.
(function () {
  "use strict";

  function isLocalLink(link) {
    return typeof link === "string" && link.startsWith("/") && !link.startsWith("//") && !link.startsWith("/\\");
  }

  function renderCharts() {
    if (!window.vegaEmbed) return;
    const options = {
      actions: false,
      renderer: "svg",
      ast: true,
      expr: window.vegaInterpreter.expressionInterpreter,
    };
    document.querySelectorAll(".chart[data-spec]").forEach(function (element) {
      const source = document.getElementById(element.dataset.spec);
      if (!source) return;
      const spec = JSON.parse(source.textContent);
      window.vegaEmbed(element, spec, options).then(function (result) {
        element.dataset.rendered = "true";
        result.view.addEventListener("click", function (event, item) {
          const datum = item && item.datum;
          if (datum && isLocalLink(datum.drill)) window.location.assign(datum.drill);
        });
      }).catch(function (error) {
        element.dataset.rendered = "error";
        element.textContent = "Chart unavailable: " + error.message + ". The table holds the same numbers.";
      });
    });
  }

  function sortKey(cell) {
    const raw = cell.dataset.sort !== undefined ? cell.dataset.sort : cell.textContent.trim();
    const number = Number(raw.replace(/,/g, ""));
    return raw !== "" && !Number.isNaN(number) ? number : raw.toLowerCase();
  }

  function makeSortable(table) {
    table.querySelectorAll("thead th").forEach(function (header, index) {
      header.tabIndex = 0;
      header.setAttribute("aria-sort", "none");
      const sort = function () {
        const ascending = header.getAttribute("aria-sort") !== "ascending";
        table.querySelectorAll("thead th").forEach(function (h) { h.setAttribute("aria-sort", "none"); });
        header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        const body = table.tBodies[0];
        const rows = Array.from(body.rows);
        rows.sort(function (a, b) {
          const x = sortKey(a.cells[index]), y = sortKey(b.cells[index]);
          if (x === y) return 0;
          if (x === "") return 1;
          if (y === "") return -1;
          return (x < y ? -1 : 1) * (ascending ? 1 : -1);
        });
        rows.forEach(function (row) { body.appendChild(row); });
      };
      header.addEventListener("click", sort);
      header.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sort(); }
      });
    });
  }

  function linkRangeAndDates() {
    document.querySelectorAll("form.filters").forEach(function (form) {
      const range = form.querySelector("[data-range]");
      const dates = form.querySelectorAll("[data-custom]");
      dates.forEach(function (input) {
        input.addEventListener("change", function () { range.value = ""; });
      });
      const clock = form.querySelector("select[name=clock]");
      form.addEventListener("submit", function () {
        // a preset wins over stale dates; custom dates travel without a preset; defaults stay
        // out of the URL so a shared link reads as what it shows
        if (range.value) dates.forEach(function (input) { input.disabled = true; });
        else range.disabled = true;
        if (clock && clock.value === "calendar") clock.disabled = true;
      });
    });
  }

  function loadPanels() {
    document.querySelectorAll("a[data-panel][data-target]").forEach(function (link) {
      link.addEventListener("click", function (event) {
        const target = document.getElementById(link.dataset.target);
        if (!target || !isLocalLink(link.dataset.panel)) return; // the link opens the page
        event.preventDefault();
        link.setAttribute("aria-busy", "true");
        fetch(link.dataset.panel, { credentials: "same-origin", headers: { Accept: "text/html" } })
          .then(function (response) {
            if (!response.ok) throw new Error(response.status + " " + response.statusText);
            return response.text();
          })
          .then(function (html) {
            const found = new DOMParser().parseFromString(html, "text/html").querySelector("section");
            if (!found) throw new Error("no panel in the answer");
            target.replaceWith(found);
            found.id = target.id;
            found.dataset.loaded = "true";
            found.querySelectorAll("table.sortable").forEach(makeSortable);
          })
          .catch(function () {
            window.location.assign(link.href); // the page of its own says what went wrong
          });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    renderCharts();
    document.querySelectorAll("table.sortable").forEach(makeSortable);
    linkRangeAndDates();
    loadPanels();
  });
})();
