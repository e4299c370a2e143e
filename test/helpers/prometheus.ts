// Parses the Prometheus text exposition format into sample -> value, keyed by the
// metric name and its labels in sorted order, e.g. 'x_total{a="1",b="2"}'.

export type Samples = Map<string, number>;

function sampleKey(name: string, labels: string | undefined): string {
  if (!labels) return name;
  const pairs = [...labels.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => `${m[1]}="${m[2]}"`).sort();
  return `${name}{${pairs.join(',')}}`;
}

export function parseMetrics(text: string): Samples {
  const out: Samples = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    out.set(sampleKey(m[1], m[2]), Number(m[3]));
  }
  return out;
}

/** The value of a sample; labels in any order. Missing: 0 (a counter not yet incremented). */
export function value(s: Samples, name: string, labels: Record<string, string> = {}): number {
  const l = Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(',');
  return s.get(sampleKey(name, l || undefined)) ?? 0;
}
