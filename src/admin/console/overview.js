// Overview: a few live counters (from /metrics and the queue) and the decisions
// per minute over the last hour; refreshed every five seconds.

import { api, metricSamples } from './api.js';
import { decisionsChart, legend, OUTCOMES } from './chart.js';
import { h, notice } from './ui.js';

const COUNTERS = [
  ['sessions open', (s) => sum(s, 'rampart_sessions_open')],
  ['connections', (s) => sum(s, 'rampart_connections_total')],
  ['messages accepted', (s) => sum(s, 'rampart_spool_commits_total')],
  ['refusals', (s) => sum(s, 'rampart_decisions_total', (l) => /action="(tempfail|reject|drop)"/.test(l) && l.includes('warn="false"'))],
  ['warn-mode verdicts', (s) => sum(s, 'rampart_decisions_total', (l) => l.includes('warn="true"'))],
  ['deny entries', (s) => sum(s, 'rampart_access_entries', (l) => l.includes('kind="deny"'))],
  ['deny hits', (s) => sum(s, 'rampart_deny_list_hits_total')],
];

function sum(samples, name, labels = () => true) {
  return samples.filter((x) => x.name === name && labels(x.labels)).reduce((t, x) => t + x.value, 0);
}

export function overview(root) {
  const counters = h('dl', { class: 'counters' });
  const queue = h('p', { class: 'queue-summary' });
  const chart = h('div', { class: 'chart-box' });
  const status = h('div');
  root.replaceChildren(h('h2', {}, 'Overview'), status, counters, queue, h('h3', {}, 'Decisions per minute, last hour'), chart);
  const refresh = async () => {
    try {
      const [samples, perMinute, q] = await Promise.all([metricSamples(), api('GET', '/decisions/per-minute'), api('GET', '/queue?limit=1')]);
      counters.replaceChildren(...COUNTERS.flatMap(([label, f]) => [h('dt', {}, label), h('dd', { 'data-counter': label }, String(f(samples)))]));
      queue.textContent = `Queue: ${q.total} message(s)${q.hold.held ? ', delivery held' : ''}.`;
      const totals = {};
      for (const m of perMinute.minutes) for (const o of OUTCOMES) totals[o] = (totals[o] ?? 0) + (m.counts[o] ?? 0);
      chart.replaceChildren(decisionsChart(perMinute.minutes), legend(totals));
      notice(status, '');
    } catch (e) {
      notice(status, e.message, 'error');
    }
  };
  refresh();
  const timer = setInterval(refresh, 5000);
  return () => clearInterval(timer);
}
