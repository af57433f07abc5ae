"use strict";
// Starts Swagger UI on /api/docs/. A static file rather than an inline script, so the
// page keeps the site's Content-Security-Policy (script-src 'self').
(function () {
  const root = document.getElementById("swagger-ui");
  if (!root || typeof SwaggerUIBundle === "undefined") {
    return;
  }
  window.ui = SwaggerUIBundle({
    url: root.dataset.schemaUrl,
    domNode: root,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    deepLinking: true,
    // The public validator would be a request to another origin (and CSP refuses it).
    validatorUrl: null,
    defaultModelsExpandDepth: 0,
  });
})();
