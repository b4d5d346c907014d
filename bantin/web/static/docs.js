// Swagger UI (vendored), started from a file so the page keeps its Content-Security-Policy.
const root = document.getElementById("swagger-ui");
window.SwaggerUIBundle({ url: root.dataset.spec, dom_id: "#swagger-ui" });
