// Reading the project's Markdown for the docs tests: the text outside code (fenced
// blocks and inline code spans), the links in it, and the anchors a page's
// headings get (the GitHub rule: lower case, punctuation dropped, spaces to dashes,
// a repeated heading gets -1, -2, ...).

/** The text with fenced code blocks and inline code spans blanked out (line numbers kept). */
export function proseOf(md: string): string {
  const lines = md.split('\n');
  let fence: string | undefined;
  const out: string[] = [];
  for (const line of lines) {
    const m = /^\s*(```+|~~~+)/.exec(line);
    if (fence) {
      if (m && m[1][0] === fence[0] && m[1].length >= fence.length) fence = undefined;
      out.push('');
      continue;
    }
    if (m) {
      fence = m[1];
      out.push('');
      continue;
    }
    out.push(line.replace(/(`+)[\s\S]*?\1/g, ''));
  }
  return out.join('\n');
}

export interface Link {
  target: string;
  line: number;
}

/** Inline links and images `[text](target)`, and autolinks `<scheme:...>`, outside code. */
export function linksOf(md: string): Link[] {
  const links: Link[] = [];
  proseOf(md)
    .split('\n')
    .forEach((text, i) => {
      for (const m of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) links.push({ target: m[1], line: i + 1 });
      for (const m of text.matchAll(/<([a-z][a-z0-9+.-]*:[^>\s]+)>/gi)) links.push({ target: m[1], line: i + 1 });
    });
  return links;
}

export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** Every anchor the page's headings make. */
export function anchorsOf(md: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const line of proseOfHeadings(md)) {
    const base = slug(line);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n ? `${base}-${n}` : base);
  }
  return out;
}

/** Heading texts (ATX headings outside fenced code), inline code kept as its text. */
function proseOfHeadings(md: string): string[] {
  const out: string[] = [];
  let fence = false;
  for (const line of md.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fence = !fence;
    else if (!fence) {
      const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
      if (m) out.push(m[1].replace(/`/g, ''));
    }
  }
  return out;
}
