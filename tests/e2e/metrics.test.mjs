// /metrics fit for production: the shipped alert rules and Grafana dashboard are valid
// (promtool check rules, promtool's rule unit tests) and every metric they name is in the
// /metrics of a real hookd after ingest and deliveries; label sets hold no source or endpoint
// id unless HOOKD_METRICS_PER_ID asks; the process and database gauges have sane values; an
// optional HOOKD_METRICS_TOKEN protects /metrics.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { sign as githubSign } from '@octokit/webhooks-methods';

import { E2E_DIR, HOOKD_BIN, freePort, startHookd } from './lib/hookd.mjs';
import { startReceiver } from './lib/receiver.mjs';
import { assertError, poll, rand } from './lib/util.mjs';

const TOP = path.resolve(E2E_DIR, '../..');
const RULES = path.join(TOP, 'deploy/prometheus/hookd-alerts.yml');
const RULE_TESTS = path.join(TOP, 'tests/prometheus/hookd-alerts.test.yml');
const DASHBOARD = path.join(TOP, 'deploy/grafana/hookd-dashboard.json');
const PROMTOOL = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((p) => fs.existsSync(p));
const TIMEOUT = { timeout: 60_000 };

// Series Prometheus makes itself, not hookd.
const SYNTHETIC = new Set(['up']);

// ------------------------------------------------------------ the exposition format

/** Parses Prometheus text: [{name, labels: {..}, value}], asserting every line's shape. */
function parseExposition(text) {
  const samples = [];
  const types = new Map();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('# TYPE ')) {
      const [, name, type] = line.split(' ').slice(1);
      types.set(name, type);
      continue;
    }
    if (line.startsWith('# HELP ')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `not a sample line: ${JSON.stringify(line)}`);
    const labels = {};
    if (m[2]) {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/gy;
      let l;
      let end = 0;
      while ((l = re.exec(m[2]))) {
        labels[l[1]] = l[2];
        end = re.lastIndex;
      }
      assert.equal(end, m[2].length, `bad labels: ${line}`);
    }
    const value = Number(m[3]);
    assert.ok(!Number.isNaN(value) || m[3] === 'NaN', `bad value: ${line}`);
    samples.push({ name: m[1], labels, value });
  }
  return { samples, types };
}

const series = (parsed, name) => parsed.samples.filter((s) => s.name === name);
const value = (parsed, name, labels = {}) => {
  const s = series(parsed, name).filter((x) => Object.entries(labels).every(([k, v]) => x.labels[k] === v));
  return s.length ? s.reduce((n, x) => n + x.value, 0) : undefined;
};

// ------------------------------------------------------------ PromQL

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless',
  'bool', 'offset', 'inf', 'nan', 'Inf', 'NaN']);

/** The metric names a PromQL expression reads (functions, keywords, labels, durations left out). */
export function metricNames(expr) {
  let e = expr
    .replace(/label_values\(\s*([a-zA-Z_:][\w:]*)\s*,[^)]*\)/g, '$1')
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\{?\w+\}?/g, ' ');
  const names = new Set();
  const re = /(?<![\w.:])([a-zA-Z_:][a-zA-Z0-9_:]*)/g;
  let m;
  while ((m = re.exec(e))) {
    const rest = e.slice(re.lastIndex);
    if (/^\s*\(/.test(rest)) continue; // a function or an aggregation
    if (KEYWORDS.has(m[1])) continue;
    names.add(m[1]);
  }
  return [...names];
}

/** The expr of every rule of the alerts file (its two forms: one line, or a `|` block). */
function ruleExprs(yaml) {
  const exprs = [];
  const lines = yaml.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)expr:\s*(.*)$/.exec(lines[i]);
    if (!m) continue;
    if (m[2] !== '|') {
      exprs.push(m[2]);
      continue;
    }
    const block = [];
    while (i + 1 < lines.length && (lines[i + 1].trim() === '' || lines[i + 1].search(/\S/) > m[1].length)) block.push(lines[++i]);
    exprs.push(block.join('\n').trim());
  }
  return exprs;
}

/** Every PromQL expression of the dashboard: panel targets and query variables. */
function dashboardExprs(dash) {
  const out = [];
  const walk = (panels) => {
    for (const p of panels ?? []) {
      for (const t of p.targets ?? []) if (t.expr) out.push(t.expr);
      walk(p.panels);
    }
  };
  walk(dash.panels);
  for (const v of dash.templating?.list ?? []) if (v.type === 'query') out.push(v.query?.query ?? v.query);
  return out;
}

test('metricNames reads PromQL as expected', () => {
  assert.deepEqual(metricNames('sum by (job, provider) (rate(hookd_ingest_requests_total{result="invalid_signature"}[5m])) > 0.05'),
    ['hookd_ingest_requests_total']);
  assert.deepEqual(metricNames('(process_open_fds / process_max_fds > 0.8) and on (job, instance) hookd_build_info').sort(),
    ['hookd_build_info', 'process_max_fds', 'process_open_fds']);
  assert.deepEqual(metricNames('max by (job) (x_a - x_a offset 1h) > 0'), ['x_a']);
  assert.deepEqual(metricNames('label_values(hookd_build_info, instance)'), ['hookd_build_info']);
  assert.deepEqual(metricNames('time() - process_start_time_seconds{instance=~"$instance"}'), ['process_start_time_seconds']);
  assert.deepEqual(metricNames('rate(a_total[$__rate_interval]) / 1e3'), ['a_total']);
});

// ------------------------------------------------------------ promtool

describe('the alert rules and the dashboard are valid', () => {
  before(() => assert.ok(PROMTOOL, 'promtool is not installed (Debian package prometheus; make test installs it)'));

  test('promtool check rules accepts the alert rules, and finds every rule this test reads', () => {
    const out = execFileSync(PROMTOOL, ['check', 'rules', RULES], { encoding: 'utf8' });
    const found = Number(/SUCCESS: (\d+) rules found/.exec(out)?.[1]);
    const exprs = ruleExprs(fs.readFileSync(RULES, 'utf8'));
    assert.ok(exprs.length >= 10, `${exprs.length} rules`);
    assert.equal(found, exprs.length, `promtool found ${found} rules, this test read ${exprs.length}`);
  });

  test("promtool's unit tests of the alert rules pass (each alert fires on its case, quiet on others)", () => {
    const r = spawnSync(PROMTOOL, ['test', 'rules', RULE_TESTS], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /SUCCESS/);
  });

  test("a broken rules file is refused by promtool (the check above can fail)", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hookd-rules-'));
    try {
      const bad = fs.readFileSync(RULES, 'utf8').replace('hookd_ready == 0', 'hookd_ready == == 0');
      fs.writeFileSync(path.join(dir, 'bad.yml'), bad);
      const r = spawnSync(PROMTOOL, ['check', 'rules', path.join(dir, 'bad.yml')], { encoding: 'utf8' });
      assert.notEqual(r.status, 0, r.stdout);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('every dashboard expression is valid PromQL (checked by promtool as recording rules)', () => {
    const dash = JSON.parse(fs.readFileSync(DASHBOARD, 'utf8'));
    assert.equal(dash.uid, 'hookd');
    const exprs = dashboardExprs(dash).filter((e) => !e.startsWith('label_values('));
    assert.ok(exprs.length >= 20, `${exprs.length} expressions`);
    const rules = exprs.map((e, i) => `      - record: dashboard:expr_${i}\n        expr: ${JSON.stringify(
      e.replaceAll('$__rate_interval', '5m').replaceAll('$instance', '.*'))}`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hookd-dash-'));
    try {
      fs.writeFileSync(path.join(dir, 'dash.yml'), `groups:\n  - name: dashboard\n    rules:\n${rules.join('\n')}\n`);
      const r = spawnSync(PROMTOOL, ['check', 'rules', path.join(dir, 'dash.yml')], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stdout + r.stderr);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ------------------------------------------------------------ a real hookd

/** A hookd with traffic: accepted and rejected ingest, a success, a failure for good, a 410. */
async function withTraffic(env) {
  const h = await startHookd({ env: { HOOKD_ALLOW_PRIVATE_TARGETS: '1', HOOKD_RETRY_SCHEDULE: '100ms', ...env } });
  const ok = await startReceiver({ status: 200 });
  const failing = await startReceiver({ status: 500 });
  const gone = await startReceiver({ status: 410 });
  const endpoints = [];
  for (const rx of [ok, failing, gone]) {
    const r = await h.api('POST', '/api/v1/endpoints', { url: rx.url });
    assert.equal(r.status, 201, r.text);
    endpoints.push(r.json.id);
  }
  const src = await h.api('POST', '/api/v1/sources', { name: `m-${rand(3)}`, provider: 'github', secret: 's3cret-metrics' });
  assert.equal(src.status, 201, src.text);
  const body = '{"action":"opened","issue":{"number":1}}';
  const headers = async (secret) => ({
    'x-github-event': 'issues',
    'x-github-delivery': crypto.randomUUID(),
    'x-hub-signature-256': await githubSign(secret, body),
  });
  assert.equal((await h.ingest(src.json.id, body, await headers('s3cret-metrics'))).status, 202);
  assert.equal((await h.ingest(src.json.id, body, await headers('wrong'))).status, 401);
  // The event's message reaches all three: one success, one failed after its retry, one 410.
  const parsed = await poll(async () => {
    const r = await h.request('GET', '/metrics');
    const p = parseExposition(r.text);
    return (value(p, 'hookd_deliveries_failed_total') ?? 0) >= 2 && value(p, 'hookd_endpoints_disabled') === 1 &&
      (value(p, 'hookd_delivery_attempts_total', { result: 'success' }) ?? 0) >= 1 ? p : null;
  }, 20_000, 'two deliveries failed for good, one endpoint disabled, one success');
  return { h, parsed, sourceId: src.json.id, endpoints, receivers: [ok, failing, gone] };
}

async function stop(t) {
  if (!t) return;
  for (const rx of t.receivers) await rx.close();
  await t.h.cleanup();
}

describe('a real hookd, default labels', TIMEOUT, () => {
  let t;
  before(async () => {
    t = await withTraffic({});
  });
  after(() => stop(t));

  test('every metric the alert rules and the dashboard name is in /metrics', () => {
    const present = new Set(t.parsed.samples.map((s) => s.name));
    const dash = JSON.parse(fs.readFileSync(DASHBOARD, 'utf8'));
    const used = new Map();
    for (const e of ruleExprs(fs.readFileSync(RULES, 'utf8'))) for (const n of metricNames(e)) used.set(n, 'alert rules');
    for (const e of dashboardExprs(dash)) for (const n of metricNames(e)) used.set(n, 'dashboard');
    assert.ok(used.size >= 20, [...used.keys()].join(' '));
    const missing = [...used].filter(([n]) => !present.has(n) && !SYNTHETIC.has(n));
    assert.deepEqual(missing, [], `named but not in /metrics:\n${[...present].sort().join('\n')}`);
  });

  test('new metrics: build info, failed for good, endpoints disabled, circuits open, oldest due age, ready', () => {
    const p = t.parsed;
    const build = series(p, 'hookd_build_info');
    assert.equal(build.length, 1);
    assert.match(build[0].labels.version, /^\d+\.\d+\.\d+/);
    assert.equal(build[0].value, 1);
    assert.equal(p.types.get('hookd_deliveries_failed_total'), 'counter');
    assert.equal(value(p, 'hookd_deliveries_failed_total'), 2, 'the 500 one after its retry, the 410 one');
    assert.equal(value(p, 'hookd_endpoints_disabled'), 1);
    assert.equal(value(p, 'hookd_circuits_open'), 0);
    const age = value(p, 'hookd_oldest_due_delivery_age_seconds');
    assert.ok(age >= 0 && age < 60, `oldest due age ${age}`);
    assert.equal(value(p, 'hookd_ready'), 1);
  });

  test('process metrics have sane values', () => {
    const p = t.parsed;
    assert.equal(p.types.get('process_cpu_seconds_total'), 'counter');
    const cpu = value(p, 'process_cpu_seconds_total');
    assert.ok(cpu > 0 && cpu < 600, `cpu ${cpu}`);
    const rss = value(p, 'process_resident_memory_bytes');
    assert.ok(rss > 1 << 20 && rss < 4 * 2 ** 30, `rss ${rss}`);
    const open = value(p, 'process_open_fds');
    const max = value(p, 'process_max_fds');
    assert.ok(open >= 5 && open < max, `open ${open}, max ${max}`);
    const start = value(p, 'process_start_time_seconds');
    const now = Date.now() / 1000;
    assert.ok(start > now - 300 && start <= now + 1, `start ${start}, now ${now}`);
  });

  test('no label holds a source or endpoint id: source is "all" or "unknown", endpoint "all"', async () => {
    // An unknown source too: its id must not become a label either.
    await t.h.ingest(`src_${'0'.repeat(26)}`, '{}', { 'x-github-event': 'ping' });
    const r = await t.h.request('GET', '/metrics');
    const p = parseExposition(r.text);
    for (const id of [t.sourceId, ...t.endpoints]) assert.ok(!r.text.includes(id), `${id} appears in /metrics`);
    const sources = new Set(series(p, 'hookd_ingest_requests_total').map((s) => s.labels.source));
    assert.deepEqual([...sources].sort(), ['all', 'unknown']);
    assert.ok(value(p, 'hookd_ingest_requests_total', { source: 'all', provider: 'github', result: 'accepted' }) >= 1);
    assert.ok(value(p, 'hookd_ingest_requests_total', { source: 'all', provider: 'github', result: 'invalid_signature' }) >= 1);
    const endpoints = new Set(series(p, 'hookd_endpoint_failures_total').map((s) => s.labels.endpoint));
    assert.deepEqual([...endpoints], ['all']);
    assert.ok(value(p, 'hookd_endpoint_failures_total', { endpoint: 'all' }) >= 3, 'two 500s and a 410');
    // Every label of every series comes from a fixed set of names.
    const allowed = new Set(['source', 'provider', 'result', 'endpoint', 'state', 'to', 'table', 'transport', 'reason', 'version', 'le']);
    for (const s of p.samples) for (const k of Object.keys(s.labels)) assert.ok(allowed.has(k), `label ${k} on ${s.name}`);
  });
});

describe('a real hookd with HOOKD_METRICS_PER_ID=1', TIMEOUT, () => {
  let t;
  before(async () => {
    t = await withTraffic({ HOOKD_METRICS_PER_ID: '1' });
  });
  after(() => stop(t));

  test('ingest requests are labelled by source id and failures by endpoint id', () => {
    const p = t.parsed;
    assert.ok(value(p, 'hookd_ingest_requests_total', { source: t.sourceId, provider: 'github', result: 'accepted' }) >= 1);
    assert.equal(value(p, 'hookd_ingest_requests_total', { source: 'all' }), undefined);
    const [, failing, gone] = t.endpoints;
    assert.equal(value(p, 'hookd_endpoint_failures_total', { endpoint: failing }), 2);
    assert.equal(value(p, 'hookd_endpoint_failures_total', { endpoint: gone }), 1);
    assert.equal(value(p, 'hookd_endpoint_failures_total', { endpoint: 'all' }), undefined);
  });
});

describe('HOOKD_METRICS_TOKEN', TIMEOUT, () => {
  const metricsToken = `mtk_${crypto.randomBytes(24).toString('hex')}`;
  let h;
  before(async () => {
    h = await startHookd({ env: { HOOKD_METRICS_TOKEN: metricsToken } });
  });
  after(() => h?.cleanup());

  test('/metrics needs the metrics token; no token, a wrong one and the admin token are 401', async () => {
    for (const auth of [undefined, 'Bearer nope', `Bearer ${h.token}`, `Basic ${metricsToken}`, metricsToken]) {
      const r = await h.request('GET', '/metrics', { headers: auth ? { authorization: auth } : {} });
      assertError(r, 401, 'unauthorized');
      assert.match(r.json.error.message, /metrics token/);
      assert.doesNotMatch(r.text, /hookd_/);
    }
    const r = await h.request('GET', '/metrics', { headers: { authorization: `Bearer ${metricsToken}` } });
    assert.equal(r.status, 200);
    assert.match(r.text, /^hookd_build_info\{version="[^"]+"\} 1$/m);
    // The health checks stay open.
    assert.equal((await h.request('GET', '/healthz')).status, 200);
    assert.equal((await h.request('GET', '/readyz')).status, 200);
  });

  test('a weak HOOKD_METRICS_TOKEN stops hookd at start-up, naming the variable', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hookd-e2e-mtoken-'));
    try {
      const run = spawnSync(HOOKD_BIN, ['serve', '--listen', `127.0.0.1:${await freePort()}`, '--data-dir', `${dataDir}/d`], {
        env: { ...process.env, HOOKD_STREAM_LISTEN: `127.0.0.1:${await freePort()}`, HOOKD_METRICS_TOKEN: 'short' },
        encoding: 'utf8',
        timeout: 15_000,
      });
      assert.equal(run.status, 2, run.stdout + run.stderr);
      assert.match(run.stderr, /HOOKD_METRICS_TOKEN/);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
