// 12345热线工作台 — our own script: keyboard shortcuts, the cheat sheet, text templates.
// Pages work without it; it only saves keystrokes. No inline handlers (the CSP forbids them).

const typing = (el) =>
  el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable);

let pendingG = false;

document.addEventListener("keydown", (e) => {
  const dialog = document.getElementById("keys");
  // Ctrl+Enter submits the form being filled in (the intake's save, an action's form).
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
    const form = e.target.closest && e.target.closest("form");
    if (form) {
      e.preventDefault();
      form.requestSubmit();
    }
    return;
  }
  // Alt+1…5 uses the knowledge-base answer of that rank (intake).
  if (e.altKey && /^[1-5]$/.test(e.key)) {
    const use = document.querySelector(`button.use[data-use="${e.key}"]`);
    if (use) {
      e.preventDefault();
      use.click();
    }
    return;
  }
  if (typing(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.key === "?") {
    e.preventDefault();
    if (dialog.open) dialog.close(); else dialog.showModal();
    return;
  }
  if (e.key === "/") {
    const first = document.querySelector("main input:not([type=hidden]), main textarea, main select");
    if (first) {
      e.preventDefault();
      first.focus();
    }
    return;
  }
  if (pendingG) {
    pendingG = false;
    const link = document.querySelector(`.nav a[data-key="${CSS.escape(e.key)}"]`);
    if (link) {
      e.preventDefault();
      link.click();
    }
    return;
  }
  if (e.key === "g") pendingG = true;
});

// 常用语: a click puts the phrase into the form's first empty (or focused) text area.
document.addEventListener("click", (e) => {
  const b = e.target.closest && e.target.closest("button.phrase");
  if (!b) return;
  const form = b.closest("form");
  const area = form.querySelector("textarea");
  if (!area) return;
  area.value = area.value ? `${area.value}\n${b.dataset.phrase}` : b.dataset.phrase;
  area.focus();
});

// Charts: each element naming a JSON option block (written by the server) becomes an ECharts
// chart, drawn as SVG; pages with charts load ECharts before this runs.
const drawCharts = () => {
  if (!window.echarts) return;
  for (const el of document.querySelectorAll("[data-chart-option]")) {
    const src = document.getElementById(el.dataset.chartOption);
    if (!src || el.dataset.drawn) continue;
    const chart = window.echarts.init(el, null, { renderer: "svg" });
    chart.setOption(JSON.parse(src.textContent));
    el.dataset.drawn = "1";
    window.addEventListener("resize", () => chart.resize());
  }
};
// Deferred scripts (ECharts among them) have all run by DOMContentLoaded.
if (document.readyState === "complete") drawCharts();
else document.addEventListener("DOMContentLoaded", drawCharts);

// Screen pop: when the telephony answers a call at this operator's extension, the intake form
// (if open and empty) takes the caller's number and the call's id — the caller's history loads by
// itself — and any other page shows a banner to take the call.
const popUrl = document.body.dataset.pop;
if (popUrl && window.EventSource) {
  const source = new EventSource(popUrl);
  source.addEventListener("call", (e) => {
    const call = JSON.parse(e.data);
    const phone = document.getElementById("phone");
    const callId = document.getElementById("call_id");
    if (phone && callId && !phone.value.trim()) {
      phone.value = call.caller;
      callId.value = call.call_id;
      const note = document.getElementById("call-note");
      if (note) note.hidden = false;
      phone.dispatchEvent(new Event("change", { bubbles: true }));
      return;
    }
    const banner = document.getElementById("call-banner");
    if (banner) {
      document.getElementById("call-text").textContent = `来电 ${call.caller}${call.queue ? `（${call.queue}）` : ""} 已接通`;
      document.getElementById("call-link").href = call.url;
      banner.hidden = false;
    }
  });
}
