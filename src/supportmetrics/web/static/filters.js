// supportmetrics filter bar: each multi-select filter becomes a combobox with chips. Type to search
// its values, Enter or click to choose, a chip's button removes its value. The hidden <select> stays
// the form's field, so the one Apply button submits the same URL as without JavaScript.
(function () {
  "use strict";

  function enhance(box) {
    const select = box.querySelector("select[multiple]");
    const label = box.querySelector("label");
    if (!select || !label) return;
    const name = select.name;
    const chips = document.createElement("div");
    chips.className = "chips";
    const input = document.createElement("input");
    input.type = "text";
    input.id = "combo-" + name;
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", "combo-" + name + "-list");
    input.placeholder = "Search " + label.textContent.trim().toLowerCase();
    input.autocomplete = "off";
    const list = document.createElement("ul");
    list.id = "combo-" + name + "-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-multiselectable", "true");
    list.setAttribute("aria-label", label.textContent.trim());
    list.hidden = true;
    label.htmlFor = input.id;
    box.appendChild(input);
    box.appendChild(list);
    box.appendChild(chips);
    box.classList.add("enhanced");
    let active = -1;

    function drawChips() {
      chips.textContent = "";
      Array.from(select.selectedOptions).forEach(function (option) {
        const chip = document.createElement("button");
        chip.type = "button";
        chip.className = "chip";
        chip.dataset.value = option.value;
        chip.textContent = option.textContent + " ×";
        chip.setAttribute("aria-label", "Remove " + option.textContent);
        chip.addEventListener("click", function () {
          option.selected = false;
          drawChips();
          drawList();
          input.focus();
        });
        chips.appendChild(chip);
      });
    }

    function matches() {
      const text = input.value.trim().toLowerCase();
      return Array.from(select.options).filter(function (option) {
        return !text || option.textContent.toLowerCase().includes(text) ||
          option.value.toLowerCase().includes(text);
      });
    }

    function choose(option) {
      option.selected = !option.selected;
      input.value = "";
      drawChips();
      drawList();
    }

    function drawList() {
      list.textContent = "";
      const found = matches().slice(0, 200);
      found.forEach(function (option, index) {
        const item = document.createElement("li");
        item.setAttribute("role", "option");
        item.id = list.id + "-" + index;
        item.dataset.value = option.value;
        item.textContent = option.textContent;
        item.setAttribute("aria-selected", option.selected ? "true" : "false");
        if (index === active) item.classList.add("active");
        item.addEventListener("mousedown", function (event) {
          event.preventDefault(); // keep the focus in the input
          choose(option);
        });
        list.appendChild(item);
      });
      if (active >= found.length) active = found.length - 1;
      input.setAttribute("aria-activedescendant", active >= 0 ? list.id + "-" + active : "");
    }

    function open(show) {
      list.hidden = !show;
      input.setAttribute("aria-expanded", show ? "true" : "false");
      if (show) drawList();
    }

    input.addEventListener("focus", function () { open(true); });
    input.addEventListener("input", function () { active = 0; open(true); });
    input.addEventListener("blur", function () { open(false); active = -1; });
    input.addEventListener("keydown", function (event) {
      const found = matches();
      if (event.key === "ArrowDown") {
        event.preventDefault();
        active = Math.min(active + 1, found.length - 1);
        open(true);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        active = Math.max(active - 1, 0);
        open(true);
      } else if (event.key === "Enter" && !list.hidden && found.length && input.value.trim()) {
        event.preventDefault(); // choose, don't submit; Enter on an empty search submits
        choose(found[Math.max(active, 0)]);
      } else if (event.key === "Escape") {
        open(false);
      } else if (event.key === "Backspace" && !input.value && select.selectedOptions.length) {
        const last = select.selectedOptions[select.selectedOptions.length - 1];
        last.selected = false;
        drawChips();
      }
    });
    drawChips();
  }

  function skipDefaults(form) {
    // a variant left at its default stays out of the URL, so a shared link reads as what it shows
    form.addEventListener("submit", function () {
      document.querySelectorAll("[form=" + form.id + "][data-default]").forEach(function (field) {
        if (field.value === field.dataset.default) field.disabled = true;
      });
      const anchor = form.querySelector("[data-anchor]");
      const range = form.querySelector("[data-range]");
      if (anchor && (anchor.value === "today" || !range || !range.value || range.value === "all")) {
        anchor.disabled = true;
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.filters [data-combo]").forEach(enhance);
    document.querySelectorAll("form.filters").forEach(skipDefaults);
  });
})();
