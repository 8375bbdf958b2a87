// Checks hookd's HTTP answers against its OpenAPI description (docs/openapi.yaml).
//
//   checkResponse('GET', '/api/v1/sources?limit=5', r)          // main listener
//   checkResponse('GET', '/api/v1/updates?after=0', r, { listener: 'stream' })
//   checkResponse('GET', url, r, { listener: 'any' })             // a browser's, either listener
//
// `r` is {status, headers, text} (headers: a fetch Headers or a plain object). Throws an
// AssertionError naming the route, the status and what is wrong when:
//   - the path is a documented route but the method is not (unless hookd answered 405);
//   - the operation documents no response for the status (an undocumented status);
//   - the answer's content type is not one the response documents, or it has a body where the
//     response documents none;
//   - a JSON body does not match the documented schema (Ajv's message, with the JSON pointer).
// A path that is no documented route (a static file of the dashboard, or a test's deliberately
// unknown path) is not checked, nor the router's 404 for a route this process does not serve
// (its --roles leave it out): the route-coverage test (tests/integration) keeps the document's
// paths and a full server's routes the same.
//
// The schemas are JSON Schema 2020-12 (OpenAPI 3.1), compiled by Ajv.
//
// OPENAPI_TALLY=<file> appends "METHOD <path template> <status>" for every answer checked, to see
// which operations and statuses the suites reach.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import YAML from 'yaml';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const OPENAPI_FILE = path.resolve(HERE, '../../../docs/openapi.yaml');
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

let cached = null;

/** The parsed document (docs/openapi.yaml). */
export function openapiDocument() {
  return load().doc;
}

function load() {
  if (cached) return cached;
  const doc = YAML.parse(fs.readFileSync(OPENAPI_FILE, 'utf8'));
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, strictTypes: false });
  addFormats(ajv);
  // OpenAPI's own keywords inside schemas.
  ajv.addKeyword({ keyword: 'example' });
  ajv.addKeyword({ keyword: 'discriminator' });
  ajv.addSchema({ $id: 'hookd-openapi', $defs: rewriteRefs(doc.components?.schemas ?? {}) });
  const routes = Object.entries(doc.paths).map(([template, item]) => ({
    template,
    segments: segmentsOf(template),
    stream: Array.isArray(item.servers) && item.servers.length > 0,
    item,
  }));
  cached = { doc, ajv, routes, validators: new Map() };
  return cached;
}

// "#/components/schemas/X" → "hookd-openapi#/$defs/X", so every schema resolves in one place.
function rewriteRefs(node) {
  if (Array.isArray(node)) return node.map(rewriteRefs);
  if (node && typeof node === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string' && v.startsWith('#/components/schemas/'))
        out[k] = `hookd-openapi#/$defs/${v.slice('#/components/schemas/'.length)}`;
      else out[k] = rewriteRefs(v);
    }
    return out;
  }
  return node;
}

// As the router splits: empty segments (doubled or trailing slashes) are dropped.
function segmentsOf(p) {
  return p.split('/').filter((s) => s.length > 0);
}

// stream: true (the stream listener), false (the main one) or null (either).
function findRoute(routes, urlPath, stream) {
  const parts = segmentsOf(urlPath);
  let templated = null;
  for (const r of routes) {
    if ((stream !== null && r.stream !== stream) || r.segments.length !== parts.length) continue;
    let exact = true;
    let match = true;
    for (let i = 0; i < parts.length && match; i++) {
      if (/^\{.+\}$/.test(r.segments[i])) exact = false;
      else match = r.segments[i] === parts[i];
    }
    if (!match) continue;
    if (exact) return r;
    templated ??= r;
  }
  return templated;
}

function resolve(doc, obj) {
  let o = obj;
  while (o && o.$ref) {
    const parts = o.$ref.replace(/^#\//, '').split('/');
    o = parts.reduce((acc, p) => acc?.[p.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
  }
  return o;
}

// The router's answer to a path it has no route for (common/router.cc).
function isNoRoute(text) {
  try {
    const e = JSON.parse(text)?.error;
    return e?.code === 'not_found' && /^no route for /.test(e.message);
  } catch {
    return false;
  }
}

function headerOf(headers, name) {
  if (!headers) return '';
  if (typeof headers.get === 'function') return headers.get(name) ?? '';
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(', ') : v ?? '';
}

/** Throws unless `r` is an answer the document allows for `method` `url` (see the top). */
export function checkResponse(method, url, r, { listener = 'main' } = {}) {
  const { doc, ajv, routes, validators } = load();
  const urlPath = url.split('?')[0].split('#')[0];
  const route = findRoute(routes, urlPath, listener === 'any' ? null : listener === 'stream');
  if (!route) return;
  const m = method.toLowerCase() === 'head' ? 'get' : method.toLowerCase();
  const where = `${method.toUpperCase()} ${urlPath} (${route.template}) → ${r.status}`;
  if (r.status === 404 && isNoRoute(r.text)) return;
  const op = route.item[m];
  if (!op) {
    assert.equal(r.status, 405, `OpenAPI: ${where}: the document has no ${m.toUpperCase()} operation here`);
    return;
  }
  const status = String(r.status);
  if (process.env.OPENAPI_TALLY)
    fs.appendFileSync(process.env.OPENAPI_TALLY, `${m.toUpperCase()} ${route.template} ${status}\n`);
  const responses = op.responses ?? {};
  const key = [status, `${status[0]}XX`, 'default'].find((k) => k in responses);
  assert.ok(key, `OpenAPI: ${where}: undocumented status (documented: ${Object.keys(responses).join(', ')}); body: ${String(r.text).slice(0, 300)}`);
  const response = resolve(doc, responses[key]);
  const content = response.content;
  const body = r.text ?? '';
  if (method.toUpperCase() === 'HEAD') return;
  if (!content) {
    assert.equal(body, '', `OpenAPI: ${where}: the response documents no body, got: ${body.slice(0, 300)}`);
    return;
  }
  const type = headerOf(r.headers, 'content-type').split(';')[0].trim().toLowerCase();
  const media = content[type];
  assert.ok(media, `OpenAPI: ${where}: content type "${type}" is not documented (documented: ${Object.keys(content).join(', ')})`);
  if (!media.schema || !/json$/.test(type)) return;
  let value;
  try {
    value = JSON.parse(body);
  } catch (err) {
    assert.fail(`OpenAPI: ${where}: ${type} body is not JSON (${err.message}): ${body.slice(0, 300)}`);
  }
  const cacheKey = `${route.template} ${m} ${key} ${type}`;
  let validate = validators.get(cacheKey);
  if (!validate) {
    validate = ajv.compile(rewriteRefs(media.schema));
    validators.set(cacheKey, validate);
  }
  if (!validate(value)) {
    const errors = validate.errors
      .map((e) => `${e.instancePath || '/'} ${e.message}${e.params && Object.keys(e.params).length ? ' ' + JSON.stringify(e.params) : ''}`)
      .join('; ');
    assert.fail(`OpenAPI: ${where}: the body does not match the schema: ${errors}; body: ${body.slice(0, 500)}`);
  }
}

/**
 * Throws unless `value` matches the document's components/schemas/`name` (e.g. the frames of
 * `hookd listen`'s WebSocket, which no HTTP answer carries).
 */
export function checkSchema(name, value) {
  const { ajv, validators } = load();
  const key = `#schema ${name}`;
  let validate = validators.get(key);
  if (!validate) {
    validate = ajv.getSchema(`hookd-openapi#/$defs/${name}`);
    assert.ok(validate, `OpenAPI: no schema ${name}`);
    validators.set(key, validate);
  }
  if (!validate(value)) {
    const errors = validate.errors.map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ');
    assert.fail(`OpenAPI: ${JSON.stringify(value).slice(0, 300)} is no ${name}: ${errors}`);
  }
}

/** Every path template and its methods, e.g. ["GET /api/v1/sources", ...] (for the tests). */
export function documentedOperations() {
  const { routes } = load();
  const out = [];
  for (const r of routes) for (const m of METHODS) if (r.item[m]) out.push(`${m.toUpperCase()} ${r.template}`);
  return out;
}
