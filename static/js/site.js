// Lockstep's page behaviour, loaded on every page (no inline scripts: CSP script-src 'self').
// Everything here is an enhancement: each page works as plain links and forms without it.
(function () {
  "use strict";

  // --- Announcements: one polite live region that outlives htmx swaps -----------------
  let lastAnnounced = "";
  function announce(text) {
    const region = document.getElementById("live-region");
    text = (text || "").replace(/\s+/g, " ").trim();
    if (!region || !text || text === lastAnnounced) return;
    lastAnnounced = text;
    region.textContent = text;
  }

  // --- After a swap: focus what the learner came for, announce verdicts and progress ---
  const FOCUS_TARGETS = "[data-verdict], .field-error, .failure-headline, .run-status";
  function focusWasLost() {
    const active = document.activeElement;
    // A swap that replaced the focused element drops focus to <body>. Focus this script put on
    // a non-interactive element (tabindex=-1) may move on; focus the learner chose stays put.
    return !active || active === document.body || !document.contains(active) || active.getAttribute("tabindex") === "-1";
  }
  function afterSwap(elt) {
    const spoken = elt.querySelector("[data-verdict], [data-announce], [role=status]");
    if (spoken) announce(spoken.textContent);
    if (!focusWasLost()) return;
    const target = elt.querySelector(FOCUS_TARGETS) || (elt.matches("#result") ? elt : elt.querySelector("#result")) || elt;
    if (target === document.activeElement) return;
    if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
    target.focus();
  }
  document.addEventListener("htmx:afterSettle", (event) => {
    const elt = event.detail.elt;
    if (elt && elt.nodeType === 1 && elt.isConnected) afterSwap(elt);
  });

  // --- Code blocks: a copy button -------------------------------------------------------
  function addCopyButtons(root) {
    root.querySelectorAll(".prose pre.highlight").forEach((pre) => {
      if (pre.dataset.copy) return;
      pre.dataset.copy = "1";
      const button = document.createElement("button");
      button.type = "button";
      button.className = "copy-button";
      button.textContent = "Copy";
      button.setAttribute("aria-label", "Copy this code");
      button.addEventListener("click", async () => {
        try {
          await navigator.clipboard.writeText(pre.innerText.replace(/\n$/, ""));
          button.textContent = "Copied";
          announce("Code copied to the clipboard");
        } catch (error) {
          button.textContent = "Select and copy";
        }
        setTimeout(() => { button.textContent = "Copy"; }, 2000);
      });
      const bar = document.createElement("div");
      bar.className = "code-tools";
      bar.appendChild(button);
      pre.insertAdjacentElement("beforebegin", bar);
    });
  }

  // --- Lesson table of contents: mark the section being read ---------------------------
  function trackToc() {
    const toc = document.querySelector(".toc");
    if (!toc || !("IntersectionObserver" in window)) return;
    const links = new Map();
    toc.querySelectorAll('a[href^="#"]').forEach((a) => links.set(decodeURIComponent(a.hash.slice(1)), a));
    const headings = [...document.querySelectorAll(".prose h2[id], .prose h3[id]")].filter((h) => links.has(h.id));
    if (!headings.length) return;
    const above = new Set();
    function mark() {
      // The section being read is the last heading that has scrolled past the top band.
      let current = headings[0];
      for (const h of headings) if (above.has(h.id)) current = h;
      links.forEach((a) => a.removeAttribute("aria-current"));
      links.get(current.id).setAttribute("aria-current", "location");
    }
    const observer = new IntersectionObserver((entries) => {
      for (const entry of entries) {
        const past = entry.boundingClientRect.top < (entry.rootBounds ? entry.rootBounds.top : 0) + 1 || entry.isIntersecting;
        if (past) above.add(entry.target.id); else above.delete(entry.target.id);
      }
      mark();
    }, { rootMargin: "0px 0px -70% 0px" });
    headings.forEach((h) => observer.observe(h));
  }

  // --- Read-only links: select all on focus, ready to copy -------------------------------
  document.addEventListener("focusin", (event) => {
    if (event.target.matches && event.target.matches("[data-select-on-focus]")) event.target.select();
  });

  document.addEventListener("DOMContentLoaded", () => {
    addCopyButtons(document);
    trackToc();
  });
})();
