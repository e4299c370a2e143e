// Builds real RFC 5322 test messages of a given size: a header block and a body
// of 76-character lines, some starting with "." so the server's dot-unstuffing
// runs. The body is built once (already dot-stuffed for the wire); each message
// gets its own header block (unique Message-ID).

const LINE = 76;
const WORDS = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna aliqua rampart smtp benchmark'.split(' ');

export interface MessageFactory {
  /** Octets of one message as stored (after dot-unstuffing), headers included. */
  readonly size: number;
  /** Lines of the body that start with "." (each is dot-stuffed on the wire). */
  readonly dotLines: number;
  /** Wire form of message `n`: header + stuffed body + ".\r\n" (as two buffers, written together). */
  wire(n: number): [Buffer, Buffer];
}

function header(n: number, date: string, pad: number): string {
  return (
    `From: Bench Sender <sender@client.bench.test>\r\n` +
    `To: Sink <sink@bench.test>\r\n` +
    `Subject: Rampart benchmark message ${String(n).padStart(8, '0')}\r\n` +
    `Date: ${date}\r\n` +
    `Message-ID: <${String(n).padStart(8, '0')}.${pad.toString(36)}@client.bench.test>\r\n` +
    `MIME-Version: 1.0\r\n` +
    `Content-Type: text/plain; charset=us-ascii\r\n` +
    `Content-Transfer-Encoding: 7bit\r\n` +
    `\r\n`
  );
}

/** One 76-character text line (deterministic), starting with "." when `dot`. */
function textLine(i: number, dot: boolean): string {
  let s = dot ? '.' : '';
  let w = i * 7;
  while (s.length < LINE) s += WORDS[w++ % WORDS.length] + ' ';
  return s.slice(0, LINE);
}

export function messageFactory(size: number): MessageFactory {
  const date = new Date().toUTCString().replace('GMT', '+0000');
  const salt = Date.now();
  const headerLen = Buffer.byteLength(header(0, date, salt));
  const bodyTarget = Math.max(size - headerLen, LINE + 2);
  const lines: string[] = [];
  let bodyLen = 0;
  let dotLines = 0;
  for (let i = 0; bodyLen < bodyTarget; i++) {
    const left = bodyTarget - bodyLen - 2; // room for text before CRLF
    const dot = i % 9 === 4; // about one line in nine starts with "."
    let l = textLine(i, dot);
    if (left < l.length) l = l.slice(0, Math.max(left, 1));
    // A short last line "." would read as the end marker on the wire only if not stuffed;
    // it is stuffed below like every other line that starts with a dot.
    if (l.startsWith('.')) dotLines++;
    lines.push(l);
    bodyLen += l.length + 2;
  }
  const stuffed = lines.map((l) => (l.startsWith('.') ? '.' + l : l)).join('\r\n') + '\r\n.\r\n';
  const body = Buffer.from(stuffed, 'latin1');
  return {
    size: headerLen + bodyLen,
    dotLines,
    wire(n: number): [Buffer, Buffer] {
      return [Buffer.from(header(n, date, salt), 'latin1'), body];
    },
  };
}

/** The same messages with `prefix` (header fields, CRLF-terminated) on top of each, e.g. a DKIM-Signature. */
export function prefixed(f: MessageFactory, prefix: string): MessageFactory {
  const p = Buffer.from(prefix, 'latin1');
  return {
    size: f.size + p.length,
    dotLines: f.dotLines,
    wire(n: number): [Buffer, Buffer] {
      const [head, body] = f.wire(n);
      return [Buffer.concat([p, head]), body];
    },
  };
}
