// An open-loop load at a fixed rate: POST /api/v1/apps/u<n>/messages with n uniform in 1..apps,
// `rate` requests per second for `seconds`. Each request's latency counts from the moment it was
// due, not from when it could be sent, so a stall of the server shows in the percentiles instead
// of slowing the load down (no coordinated omission). Prints one JSON line:
// {"rate", "sent", "ok", "errors", "achieved", "p50_ms", "p90_ms", "p99_ms", "max_ms", "cpu_ms"}
// (cpu_ms: this loader's own CPU time, to put beside the server's).
//
//   node bench/fixed_rate.mjs <base-url> <token> <apps> [rate=1000] [seconds=10] [uid-prefix=u]

import http from 'node:http';

const [base, token, appsArg, rateArg = '1000', secondsArg = '10', prefix = 'u'] = process.argv.slice(2);
if (!base || !token || !appsArg) {
  console.error('usage: node bench/fixed_rate.mjs <base-url> <token> <apps> [rate] [seconds] [uid-prefix]');
  process.exit(2);
}
const apps = Number(appsArg);
const rate = Number(rateArg);
const seconds = Number(secondsArg);
const url = new URL(base);
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const body = JSON.stringify({ event_type: 'order.created', payload: { id: 1, total: 4200, currency: 'eur' } });
const headers = {
  authorization: `Bearer ${token}`,
  'content-type': 'application/json',
  'content-length': Buffer.byteLength(body),
};

const total = Math.round(rate * seconds);
const latencies = [];
let ok = 0;
let errors = 0;
let sent = 0;
let finished = 0;

function send(dueNs) {
  const n = 1 + Math.floor(Math.random() * apps);
  const req = http.request({
    host: url.hostname, port: url.port, method: 'POST', path: `/api/v1/apps/${prefix}${n}/messages`, agent, headers,
  }, (res) => {
    res.resume();
    res.on('end', () => {
      latencies.push(Number(process.hrtime.bigint() - dueNs) / 1e6);
      if (res.statusCode >= 200 && res.statusCode < 300) ok++;  // 202 from hookd, 204 from a bare server
      else errors++;
      finished++;
    });
  });
  req.on('error', () => {
    errors++;
    finished++;
  });
  req.end(body);
}

const cpu0 = process.cpuUsage();
const start = process.hrtime.bigint();
const intervalNs = BigInt(Math.round(1e9 / rate));
await new Promise((resolve) => {
  const tick = () => {
    const now = process.hrtime.bigint();
    // Everything due by now is sent now, stamped with when it was due.
    while (sent < total && start + BigInt(sent) * intervalNs <= now) {
      send(start + BigInt(sent) * intervalNs);
      sent++;
    }
    if (sent >= total) return resolve();
    setTimeout(tick, 1);
  };
  tick();
});
const deadline = Date.now() + 30_000;
while (finished < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
const cpu = process.cpuUsage(cpu0);
agent.destroy();

latencies.sort((a, b) => a - b);
const pct = (p) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] : NaN);
const round = (x) => Math.round(x * 100) / 100;
console.log(JSON.stringify({
  rate, sent, ok, errors: errors + (total - finished), achieved: round(ok / elapsed),
  p50_ms: round(pct(50)), p90_ms: round(pct(90)), p99_ms: round(pct(99)), max_ms: round(latencies.at(-1) ?? NaN),
  cpu_ms: Math.round((cpu.user + cpu.system) / 1000),
}));
