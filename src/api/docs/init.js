// Starts Swagger UI on this service's own document. A file of its own, not an inline
// script, so the page runs under `script-src 'self'`. The base layout is used: the
// standalone preset's top bar injects an inline <style>, which the CSP refuses.
window.addEventListener("DOMContentLoaded", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    // The default sends the document to a public validator (another origin).
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
