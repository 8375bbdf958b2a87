// The API reference page (GET /docs): Redoc renders hookd's OpenAPI document.
/* global Redoc */
'use strict';

Redoc.init(
  '/api/v1/openapi.json',
  { hideDownloadButton: false, expandResponses: '200,201,202', pathInMiddlePanel: true },
  document.getElementById('redoc'),
);
