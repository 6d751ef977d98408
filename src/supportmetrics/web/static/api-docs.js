// Swagger UI over the API's OpenAPI document, from the files shipped with the package (the
// page's Content-Security-Policy allows scripts from this site only, so no inline script).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapi,
    dom_id: "#swagger-ui",
    deepLinking: true,
  });
});
