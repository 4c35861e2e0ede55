// Swagger UI for the SculptOps API. A file of its own, not an inline script: the page's CSP
// allows scripts from this origin only.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "openapi.json",
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    // Tokens stay in memory: a reload forgets them.
    persistAuthorization: false,
    // Never ask a third-party validator about this API.
    validatorUrl: null,
  });
});
