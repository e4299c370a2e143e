// RFC 5321 4.5.2 transparency: a line that starts with "." gets one more, and
// the data ends with CRLF "." CRLF. A dot after a bare CR is doubled too, so a
// peer that takes a lone CR as a line end cannot see an early end of data
// (SMTP smuggling).

export class DotStuffer {
  private lineStart = true;
  private last = -1;

  push(chunk: Buffer): Buffer {
    if (!chunk.length) return chunk;
    let out: Buffer[] | undefined;
    let from = 0;
    if (this.lineStart && chunk[0] === 0x2e) {
      out = [Buffer.from('.')];
    }
    let i = chunk.indexOf(0x2e, 1);
    while (i > 0) {
      const prev = chunk[i - 1];
      if (prev === 0x0a || prev === 0x0d) {
        (out ??= []).push(chunk.subarray(from, i), DOT);
        from = i;
      }
      i = chunk.indexOf(0x2e, i + 1);
    }
    this.last = chunk[chunk.length - 1];
    this.lineStart = this.last === 0x0a || this.last === 0x0d;
    if (!out) return chunk;
    out.push(chunk.subarray(from));
    return Buffer.concat(out);
  }

  /** The end of data: CRLF first when the message does not end with one. */
  end(): Buffer {
    return Buffer.from(this.last === 0x0a || this.last === -1 ? '.\r\n' : '\r\n.\r\n');
  }
}

const DOT = Buffer.from('.');
