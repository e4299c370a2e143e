// The overview's chart: decisions per minute over the last hour, one stacked bar
// per minute (outcomes as colours, set in style.css), drawn as inline SVG.

const NS = 'http://www.w3.org/2000/svg';
export const OUTCOMES = ['accept', 'mark', 'warn', 'tempfail', 'reject', 'drop'];

function el(tag, attrs) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

/** An <svg> for `minutes` ([{ minute, counts }], oldest first). */
export function decisionsChart(minutes) {
  const W = 600;
  const H = 160;
  const pad = 24;
  const max = Math.max(1, ...minutes.map((m) => OUTCOMES.reduce((s, o) => s + (m.counts[o] ?? 0), 0)));
  const bw = (W - pad) / Math.max(1, minutes.length);
  const svg = el('svg', { viewBox: `0 0 ${W} ${H + 16}`, class: 'chart', role: 'img', 'aria-label': 'decisions per minute, last hour' });
  svg.append(el('line', { x1: pad, y1: H, x2: W, y2: H, class: 'axis' }));
  const top = el('text', { x: 0, y: 10, class: 'label' });
  top.textContent = String(max);
  svg.append(top);
  minutes.forEach((m, i) => {
    let y = H;
    const g = el('g', {});
    const title = el('title', {});
    title.textContent = `${new Date(m.minute).toLocaleTimeString()}: ${OUTCOMES.map((o) => `${o} ${m.counts[o] ?? 0}`).join(', ')}`;
    g.append(title);
    for (const o of OUTCOMES) {
      const n = m.counts[o] ?? 0;
      if (!n) continue;
      const bh = (n / max) * (H - 12);
      y -= bh;
      g.append(el('rect', { x: pad + i * bw + 1, y, width: Math.max(1, bw - 2), height: bh, class: `bar ${o}` }));
    }
    svg.append(g);
  });
  for (const [x, text, anchor] of [[pad, '-60 min', 'start'], [W, 'now', 'end']]) {
    const t = el('text', { x, y: H + 14, class: 'label', 'text-anchor': anchor });
    t.textContent = text;
    svg.append(t);
  }
  return svg;
}

/** The legend under the chart. */
export function legend(totals) {
  const ul = document.createElement('ul');
  ul.className = 'legend';
  for (const o of OUTCOMES) {
    const li = document.createElement('li');
    li.className = o;
    li.textContent = `${o}: ${totals[o] ?? 0}`;
    ul.append(li);
  }
  return ul;
}
