// Swagger UI for /docs.json; the key typed under "Authorize" stays in this page's memory only.
"use strict";
window.onload = function () {
  window.ui = SwaggerUIBundle({ url: "/docs.json", dom_id: "#swagger-ui", deepLinking: true, persistAuthorization: false });
};
