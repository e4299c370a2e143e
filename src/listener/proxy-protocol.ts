// The PROXY protocol (HAProxy, versions 1 and 2): a load balancer in front of a
// listener prefixes each connection with the real client's address. Only
// connections from `listeners[].proxyProtocol.trusted` are read this way, and
// they must send a valid header first; anything else closes the connection.
// The parser is incremental: call it with everything received so far until it
// stops answering "incomplete" (headers may arrive split across TCP segments).
// Spec: https://www.haproxy.org/download/2.9/doc/proxy-protocol.txt

import { isIP, type Socket } from 'node:net';

export interface ProxyEndpoint {
  address: string;
  port: number;
}

export interface ProxyHeader {
  version: 1 | 2;
  /** 'local': the proxy speaks for itself (health check); addresses are those of the connection. */
  command: 'proxy' | 'local';
  /** 'unknown': v1 UNKNOWN or v2 UNSPEC: no addresses given, use the connection's. */
  family: 'tcp4' | 'tcp6' | 'unknown';
  source?: ProxyEndpoint;
  destination?: ProxyEndpoint;
  /** Octets the header took (what follows belongs to the client). */
  length: number;
}

export type ProxyParse = { status: 'incomplete' } | { status: 'error'; error: string } | { status: 'ok'; header: ProxyHeader };

/** v2 signature: \r\n\r\n\0\r\nQUIT\n */
export const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V1_PREFIX = Buffer.from('PROXY ', 'latin1');
/** v1: the longest line, CRLF included (spec 2.1). */
const V1_MAX = 107;
/** v2: longest address block + TLVs we accept (the field allows 65535). */
const V2_MAX_LEN = 4096;

const incomplete = { status: 'incomplete' } as const;
const error = (e: string): ProxyParse => ({ status: 'error', error: e });

/** True when `buf` is a (possibly partial) prefix of `full`. */
function prefixOf(buf: Buffer, full: Buffer): boolean {
  const n = Math.min(buf.length, full.length);
  return buf.subarray(0, n).equals(full.subarray(0, n));
}

export function parseProxyHeader(buf: Buffer): ProxyParse {
  if (buf.length === 0) return incomplete;
  if (buf[0] === 0x0d) return parseV2(buf);
  if (buf[0] === 0x50) return parseV1(buf); // "P"
  return error('not a PROXY protocol header');
}

const PORT = /^(0|[1-9][0-9]{0,4})$/;

function parseV1(buf: Buffer): ProxyParse {
  if (!prefixOf(buf, V1_PREFIX)) return error('not a PROXY protocol header');
  const limit = Math.min(buf.length, V1_MAX);
  const lf = buf.subarray(0, limit).indexOf(0x0a);
  if (lf < 0) return buf.length >= V1_MAX ? error('v1 header longer than 107 octets') : incomplete;
  if (lf === 0 || buf[lf - 1] !== 0x0d) return error('v1 header must end with CRLF');
  const line = buf.subarray(0, lf - 1).toString('latin1');
  if (!/^[\x20-\x7e]+$/.test(line)) return error('v1 header has control or 8-bit characters');
  const parts = line.split(' ');
  const length = lf + 1;
  if (parts[1] === 'UNKNOWN') return { status: 'ok', header: { version: 1, command: 'proxy', family: 'unknown', length } };
  if (parts.length !== 6) return error('v1 header must have 6 fields');
  const [, proto, src, dst, sport, dport] = parts;
  const fam = proto === 'TCP4' ? 4 : proto === 'TCP6' ? 6 : 0;
  if (!fam) return error(`v1 protocol "${proto}" is not TCP4, TCP6 or UNKNOWN`);
  if (isIP(src) !== fam || isIP(dst) !== fam || src.includes('%') || dst.includes('%')) return error(`v1 addresses are not ${proto} addresses`);
  if (!PORT.test(sport) || !PORT.test(dport) || Number(sport) > 65535 || Number(dport) > 65535) return error('v1 ports must be 0..65535');
  return {
    status: 'ok',
    header: {
      version: 1,
      command: 'proxy',
      family: fam === 4 ? 'tcp4' : 'tcp6',
      source: { address: src.toLowerCase(), port: Number(sport) },
      destination: { address: dst.toLowerCase(), port: Number(dport) },
      length,
    },
  };
}

function ipv6Text(b: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
  // Compress the longest run of zero groups (RFC 5952).
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

function parseV2(buf: Buffer): ProxyParse {
  if (!prefixOf(buf, V2_SIGNATURE)) return error('not a PROXY protocol header');
  if (buf.length < 16) return incomplete;
  const verCmd = buf[12];
  if (verCmd >> 4 !== 2) return error(`v2 version ${verCmd >> 4} is not 2`);
  const cmd = verCmd & 0x0f;
  if (cmd > 1) return error(`v2 command ${cmd} is not LOCAL or PROXY`);
  const fam = buf[13];
  const len = buf.readUInt16BE(14);
  if (len > V2_MAX_LEN) return error(`v2 header of ${len} octets is longer than ${V2_MAX_LEN}`);
  if (buf.length < 16 + len) return incomplete;
  const length = 16 + len;
  const body = buf.subarray(16, length);
  if (cmd === 0) return { status: 'ok', header: { version: 2, command: 'local', family: 'unknown', length } };
  if (fam === 0x00) return { status: 'ok', header: { version: 2, command: 'proxy', family: 'unknown', length } };
  if (fam === 0x11) {
    if (len < 12) return error('v2 TCP4 address block shorter than 12 octets');
    const ip = (o: number) => `${body[o]}.${body[o + 1]}.${body[o + 2]}.${body[o + 3]}`;
    return {
      status: 'ok',
      header: { version: 2, command: 'proxy', family: 'tcp4', source: { address: ip(0), port: body.readUInt16BE(8) }, destination: { address: ip(4), port: body.readUInt16BE(10) }, length },
    };
  }
  if (fam === 0x21) {
    if (len < 36) return error('v2 TCP6 address block shorter than 36 octets');
    return {
      status: 'ok',
      header: {
        version: 2,
        command: 'proxy',
        family: 'tcp6',
        source: { address: ipv6Text(body.subarray(0, 16)), port: body.readUInt16BE(32) },
        destination: { address: ipv6Text(body.subarray(16, 32)), port: body.readUInt16BE(34) },
        length,
      },
    };
  }
  return error(`v2 address family 0x${fam.toString(16).padStart(2, '0')} is not TCP over IPv4/IPv6 or UNSPEC`);
}

export type ProxyRead = { ok: true; header: ProxyHeader } | { ok: false; error: string };

/**
 * Reads the PROXY header from a fresh socket, at most `timeoutMs`. What the client
 * sent after the header is put back into the socket (unshift), and the socket is
 * left paused: the caller resumes it once the session (or TLS) is attached.
 */
export function readProxyHeader(socket: Socket, timeoutMs: number): Promise<ProxyRead> {
  return new Promise((resolve) => {
    let buf: Buffer = Buffer.alloc(0);
    const done = (r: ProxyRead, rest?: Buffer) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.pause();
      if (rest?.length) socket.unshift(rest);
      resolve(r);
    };
    const onData = (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      const p = parseProxyHeader(buf);
      if (p.status === 'incomplete') return;
      if (p.status === 'error') return done({ ok: false, error: p.error });
      done({ ok: true, header: p.header }, buf.subarray(p.header.length));
    };
    const onEnd = () => done({ ok: false, error: 'connection closed before the PROXY header was complete' });
    const timer = setTimeout(() => done({ ok: false, error: `no complete PROXY header within ${timeoutMs} ms` }), timeoutMs);
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
  });
}
