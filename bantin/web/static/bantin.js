// Only improvements: every page works without JavaScript.
document.addEventListener("DOMContentLoaded", () => {
  // Zoom without reloading the page.
  const sheet = document.getElementById("sheet");
  document.querySelectorAll(".zoombar a[data-zoom]").forEach((link) => {
    link.addEventListener("click", (event) => {
      event.preventDefault();
      sheet.className = "sheet zoom-" + link.dataset.zoom;
      document.querySelectorAll(".zoombar a").forEach((a) => a.removeAttribute("aria-current"));
      link.setAttribute("aria-current", "true");
      history.replaceState(null, "", link.href);
    });
  });
  // Copy the citation with one tap.
  document.querySelectorAll("button.copy").forEach((button) => {
    const field = document.getElementById(button.dataset.copy);
    button.hidden = !navigator.clipboard;
    button.addEventListener("click", async () => {
      await navigator.clipboard.writeText(field.value);
      button.textContent = "Đã sao chép";
    });
  });
  // Bring the first outlined word into view.
  const first = document.querySelector(".hitbox");
  if (first && sheet) {
    const svg = sheet.querySelector("svg");
    const scroller = sheet.parentElement;
    const top = (first.y.baseVal.value / svg.viewBox.baseVal.height) * sheet.clientHeight;
    scroller.scrollTop = Math.max(0, top - scroller.clientHeight / 3);
  }
});
