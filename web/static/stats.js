// Counters and the last hour's per-minute chart. Anchored on GET /api/v1/overview, then moved
// by each live entry; re-anchored every minute (entries newer than the snapshot are applied
// again on top), so the "retrying now" guess and the sliding window cannot drift for long.
/* global Chart */
import { $ } from './dom.js';

const MINUTE = 60_000;

// What depends on the chart's width: a narrow chart (a phone) shows fewer time labels, a
// smaller legend and no axis titles, so that no two labels overlap.
function fitTo(options, width) {
  const narrow = width < 600;
  options.scales.x.ticks.maxTicksLimit = narrow ? Math.max(3, Math.floor(width / 80)) : 13;
  options.scales.y.title.display = !narrow;
  options.scales.latency.title.display = !narrow;
  options.plugins.legend.align = narrow ? 'start' : 'end';
  options.plugins.legend.labels.boxWidth = narrow ? 10 : 12;
  options.plugins.legend.labels.padding = narrow ? 8 : 10;
  options.plugins.legend.labels.font = { size: narrow ? 11 : 12 };
}
const KEEP = 20_000; // entries kept for re-applying on top of a newer snapshot

export class Stats {
  constructor() {
    this.snapshotSeq = 0;
    this.counters = { received: 0, delivered: 0, retrying: 0, failed: 0 };
    this.minutes = []; // {t (ms), received, succeeded, retrying, failed, attempts, latSum, latN, latMax}
    this.recentEntries = [];
    this.known = new Map(); // delivery id -> last status seen
    this.chart = null;
  }

  /** overview: GET /api/v1/overview's answer. */
  anchor(overview) {
    this.snapshotSeq = overview.seq;
    this.counters = { ...overview.counters };
    this.minutes = overview.minutes.map((m) => ({
      t: Date.parse(m.t), received: m.received, succeeded: m.succeeded, retrying: m.retrying,
      failed: m.failed, attempts: m.attempts,
      latSum: (m.latency_ms_avg ?? 0) * m.attempts, latN: m.latency_ms_avg == null ? 0 : m.attempts,
      latMax: m.latency_ms_max ?? 0,
    }));
    this.recentEntries = this.recentEntries.filter((e) => e.seq > overview.seq);
    for (const e of this.recentEntries) this._apply(e);
    this.render();
  }

  add(entries) {
    for (const e of entries) {
      if (e.seq <= this.snapshotSeq) continue;
      this.recentEntries.push(e);
      this._apply(e);
    }
    if (this.recentEntries.length > KEEP) this.recentEntries.splice(0, this.recentEntries.length - KEEP);
    this.render();
  }

  _bucket(atIso) {
    this._slide(Date.now());
    const t = Math.floor(Date.parse(atIso) / MINUTE) * MINUTE;
    return this.minutes.find((m) => m.t === t);
  }

  /** Drops minutes older than an hour and adds empty ones up to now. */
  _slide(now) {
    const current = Math.floor(now / MINUTE) * MINUTE;
    if (!this.minutes.length) return;
    let last = this.minutes[this.minutes.length - 1].t;
    while (last < current) {
      last += MINUTE;
      this.minutes.push({ t: last, received: 0, succeeded: 0, retrying: 0, failed: 0, attempts: 0, latSum: 0, latN: 0, latMax: 0 });
    }
    if (this.minutes.length > 60) this.minutes.splice(0, this.minutes.length - 60);
  }

  _apply(e) {
    const m = this._bucket(e.at);
    const d = e.data || {};
    const id = d.delivery_id;
    const was = id ? this.known.get(id) : undefined;
    // Whether the delivery was retrying before this entry; unseen ones are judged by attempt.
    const wasRetrying = was !== undefined ? was === 'retrying' : (d.attempt || 0) > 1;
    switch (e.type) {
      case 'event.received':
        this.counters.received += 1;
        if (m) m.received += 1;
        break;
      case 'delivery.attempted':
        if (m) {
          m.attempts += 1;
          if (typeof d.latency_ms === 'number') {
            m.latSum += d.latency_ms;
            m.latN += 1;
            m.latMax = Math.max(m.latMax, d.latency_ms);
          }
        }
        break;
      case 'delivery.succeeded':
      case 'delivery.failed':
        this.counters[e.type === 'delivery.succeeded' ? 'delivered' : 'failed'] += 1;
        if (wasRetrying) this.counters.retrying = Math.max(0, this.counters.retrying - 1);
        if (m) m[e.type === 'delivery.succeeded' ? 'succeeded' : 'failed'] += 1;
        break;
      case 'delivery.retrying':
        if (!wasRetrying) this.counters.retrying += 1;
        if (m) m.retrying += 1;
        break;
      default:
        break;
    }
    if (id && e.type !== 'delivery.attempted') {
      this.known.set(id, e.type.slice('delivery.'.length));
      if (this.known.size > 50_000) this.known.delete(this.known.keys().next().value);
    }
  }

  render() {
    for (const k of ['received', 'delivered', 'retrying', 'failed']) {
      const el = $(`#count-${k}`);
      if (el) el.textContent = this.counters[k].toLocaleString();
    }
    this._renderChart();
  }

  _renderChart() {
    const canvas = $('#chart');
    if (!canvas || typeof Chart === 'undefined' || canvas.offsetParent === null) return;
    this._slide(Date.now());
    const labels = this.minutes.map((m) => new Date(m.t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hour12: false }));
    const series = (k) => this.minutes.map((m) => m[k]);
    const latency = this.minutes.map((m) => (m.latN ? Math.round(m.latSum / m.latN) : null));
    if (!this.chart) {
      const css = getComputedStyle(document.documentElement);
      const color = (name) => css.getPropertyValue(name).trim();
      this.chart = new Chart(canvas, {
        type: 'bar',
        data: {
          labels,
          datasets: [
            { label: 'Succeeded', data: series('succeeded'), backgroundColor: color('--ok'), stack: 'd', yAxisID: 'y' },
            { label: 'Retry scheduled', data: series('retrying'), backgroundColor: color('--warn'), stack: 'd', yAxisID: 'y' },
            { label: 'Failed', data: series('failed'), backgroundColor: color('--bad'), stack: 'd', yAxisID: 'y' },
            { label: 'Avg latency (ms)', data: latency, type: 'line', borderColor: color('--accent'),
              backgroundColor: color('--accent'), borderWidth: 2, pointRadius: 2, spanGaps: true,
              tension: 0.25, yAxisID: 'latency' },
          ],
        },
        options: {
          animation: false,
          maintainAspectRatio: false,
          onResize: (chart, size) => fitTo(chart.options, size.width),
          interaction: { mode: 'index', intersect: false },
          plugins: { legend: { position: 'top', align: 'end', labels: { boxWidth: 12, color: color('--muted') } } },
          scales: {
            x: { stacked: true, grid: { display: false }, ticks: { maxTicksLimit: 13, maxRotation: 0, autoSkipPadding: 8, color: color('--muted') } },
            y: { stacked: true, beginAtZero: true, title: { display: true, text: 'deliveries / min', color: color('--muted') },
              ticks: { precision: 0, color: color('--muted') }, grid: { color: color('--grid') } },
            latency: { position: 'right', beginAtZero: true, title: { display: true, text: 'ms', color: color('--muted') },
              ticks: { color: color('--muted') }, grid: { display: false } },
          },
        },
      });
      fitTo(this.chart.options, this.chart.width);
      this.chart.update('none');
      return;
    }
    this.chart.data.labels = labels;
    this.chart.data.datasets[0].data = series('succeeded');
    this.chart.data.datasets[1].data = series('retrying');
    this.chart.data.datasets[2].data = series('failed');
    this.chart.data.datasets[3].data = latency;
    this._queueUpdate();
  }

  /** At most one chart redraw per animation frame, however many entries arrive. */
  _queueUpdate() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      if (this.chart) this.chart.update('none');
    });
  }
}
