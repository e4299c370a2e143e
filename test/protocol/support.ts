// Shared helpers for the protocol tests (real clients on loopback): a server with
// short shutdown, listener lists, external client runners (python3 smtplib, swaks) with hard timeouts, and a
// parser for delivered Maildir files. No side effects at import time.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server.js';

export { USERS } from '../helpers/server.js';
export type { TestServer } from '../helpers/server.js';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Resolves with `p`, or rejects after `ms` (the timer is cleared either way). */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

type ListenerOver = Record<string, unknown>;

/** The three standard listeners on 127.0.0.1 (port 0), each with optional overrides, plus extras. */
export function listeners(over: { mx?: ListenerOver; submission?: ListenerOver; submissions?: ListenerOver } = {}, extra: ListenerOver[] = []) {
  return [
    { name: 'mx', kind: 'mx', addresses: ['127.0.0.1'], port: 0, pregreetWaitMs: 0, ...over.mx },
    { name: 'submission', kind: 'submission', addresses: ['127.0.0.1'], port: 0, ...over.submission },
    { name: 'submissions', kind: 'submissions', addresses: ['127.0.0.1'], port: 0, ...over.submissions },
    ...extra,
  ];
}

/** startTestServer with a short shutdown deadline, so a test never waits 30 s in stop(). */
export function start(overrides: Record<string, unknown> = {}): Promise<TestServer> {
  const t = (overrides.timeouts ?? {}) as Record<string, unknown>;
  return startTestServer({ ...overrides, timeouts: { shutdownMs: 1500, ...t } });
}

// ---- external clients -----------------------------------------------------------

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program with a hard timeout; never rejects (the result carries the exit code). */
export function run(cmd: string, args: string[], opts: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env: { ...process.env, ...opts.env }, timeout: opts.timeoutMs ?? 20000, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? ((err as NodeJS.ErrnoException & { code?: unknown }).code as unknown) : 0;
      resolve({ code: typeof code === 'number' ? code : err ? -1 : 0, stdout, stderr: stderr + (err && !stderr ? String(err) : '') });
    });
  });
}

/** Runs a python3 script with its arguments (JSON) in the file named by $ARGS_FILE; parses the last stdout line as JSON. */
export async function python<T = Record<string, unknown>>(script: string, args: Record<string, unknown>): Promise<T> {
  // Arguments go through a file: a large message does not fit in the environment.
  const tmp = tempDir();
  const argsFile = tmp.file('args.json', JSON.stringify(args));
  const r = await run('python3', ['-c', script], { env: { ARGS_FILE: argsFile, PYTHONIOENCODING: 'utf-8' } }).finally(() => tmp.cleanup());
  const last = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as T;
  } catch {
    throw new Error(`python failed (exit ${r.code}): ${r.stderr || r.stdout}`);
  }
}

/** Runs swaks against 127.0.0.1:port; returns the transcript and the exit code. */
export function swaks(port: number, args: string[]): Promise<RunResult> {
  return run('swaks', ['--server', `127.0.0.1:${port}`, '--timeout', '10', '--helo', 'swaks.client.test', ...args]);
}

/** Server reply lines ("<- " / "<~ ") of a swaks transcript. */
export function swaksReplies(transcript: string): string[] {
  return transcript
    .split('\n')
    .filter((l) => /^<[-~*]{1,2}\s+\d{3}/.test(l))
    .map((l) => l.replace(/^<[-~*]{1,2}\s+/, '').trimEnd());
}

/** A temporary directory removed by the returned cleanup. */
export function tempDir(): { dir: string; file(name: string, data: string | Buffer): string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-proto-'));
  return {
    dir,
    file(name, data) {
      const p = join(dir, name);
      writeFileSync(p, data);
      return p;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

// ---- delivered messages -------------------------------------------------------

export interface Delivered {
  returnPath: string;
  deliveredTo: string;
  /** Fields end-of-data checks added above our Received field (Authentication-Results, X-Rampart-Score...), as stored. */
  added: string;
  /** The Received field, folded lines joined with CRLF, without its final CRLF. */
  received: string;
  /** Everything after the Received field: the message as the client sent it. */
  message: Buffer;
}

/** Splits a Maildir file (as read by ts.maildir(), latin1) into the added trace fields and the message. */
export function splitDelivered(file: string): Delivered {
  const b = Buffer.from(file, 'latin1');
  const m = /^Return-Path: <([^>\r\n]*)>\r\nDelivered-To: ([^\r\n]+)\r\n((?:(?:Authentication-Results|DKIM-Signature|X-Rampart-[A-Za-z-]+): [^\r\n]*(?:\r\n[ \t][^\r\n]*)*\r\n)*)(Received: [^\r\n]*(?:\r\n[ \t][^\r\n]*)*)\r\n/.exec(file);
  if (!m) throw new Error(`unexpected delivered file head: ${JSON.stringify(file.slice(0, 300))}`);
  return { returnPath: m[1], deliveredTo: m[2], added: m[3], received: m[4], message: b.subarray(m[0].length) };
}

/** Waits for deliveries to finish, then returns the mailbox's delivered files (bounded wait); `folder`: a Maildir++ folder, not the inbox. */
export async function mailbox(ts: TestServer, address: string, atLeast = 0, timeoutMs = 5000, folder?: string): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  await within(ts.delivered(), timeoutMs, 'delivery');
  let files = ts.maildir(address, folder);
  while (files.length < atLeast && Date.now() < deadline) {
    await sleep(25);
    files = ts.maildir(address, folder);
  }
  return files;
}

/** The shape of the Received field Rampart writes (folded lines, queue id, date). */
export const RECEIVED_RE =
  /^Received: from \S+ \(\[[^\]]+\]\)\r\n\tby mx\.rampart\.test (\(using TLSv1\.[23] with cipher [A-Za-z0-9_-]+\) )?with [A-Z0-9]+ id [0-9A-Z]+(\r\n\tfor <[^>]+>)?; \w{3}, \d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d \+0000$/;

// ---- python3 smtplib as a client ------------------------------------------------

/** What the smtplib client did; failures carry the server's code and text. */
export interface PyResult {
  ehlo?: string;
  starttls?: [number, string];
  ehloAfterTls?: string;
  auth?: [number, string];
  refused?: Record<string, [number, string]>;
  error?: { stage: string; type: string; code?: number; text?: string };
}

const PY_CLIENT = String.raw`
import json, os, smtplib, ssl
a = json.load(open(os.environ['ARGS_FILE']))
out = {}
stage = 'connect'
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
def text(b):
    return b.decode('utf-8', 'replace') if isinstance(b, bytes) else str(b)
try:
    if a.get('tls') == 'implicit':
        s = smtplib.SMTP_SSL('127.0.0.1', a['port'], local_hostname='py.client.test', timeout=10, context=ctx)
    else:
        s = smtplib.SMTP('127.0.0.1', a['port'], local_hostname='py.client.test', timeout=10)
    stage = 'ehlo'
    s.ehlo()
    out['ehlo'] = text(s.ehlo_resp)
    if a.get('tls') == 'starttls':
        stage = 'starttls'
        code, msg = s.starttls(context=ctx)
        out['starttls'] = [code, text(msg)]
        s.ehlo()
        out['ehloAfterTls'] = text(s.ehlo_resp)
    if a.get('auth'):
        stage = 'auth'
        s.user, s.password = a['auth']['user'], a['auth']['password']
        mech = a['auth']['mech']
        fn = s.auth_plain if mech == 'PLAIN' else s.auth_login
        code, msg = s.auth(mech, fn, initial_response_ok=(mech == 'PLAIN'))
        out['auth'] = [code, text(msg)]
    if a.get('msg') is not None:
        stage = 'send'
        refused = s.sendmail(a['from'], a['to'], bytes.fromhex(a['msg']), mail_options=a.get('mailOptions', []))
        out['refused'] = {k: [v[0], text(v[1])] for k, v in refused.items()}
    stage = 'quit'
    s.quit()
except smtplib.SMTPRecipientsRefused as e:
    out['error'] = {'stage': stage, 'type': 'SMTPRecipientsRefused'}
    out['refused'] = {k: [v[0], text(v[1])] for k, v in e.recipients.items()}
except smtplib.SMTPResponseException as e:
    out['error'] = {'stage': stage, 'type': type(e).__name__, 'code': e.smtp_code, 'text': text(e.smtp_error)}
except Exception as e:
    out['error'] = {'stage': stage, 'type': type(e).__name__, 'text': str(e)}
print(json.dumps(out))
`;

/** Runs a python3 smtplib session (plain, STARTTLS or implicit TLS; optional AUTH; optional message). */
export function smtplib(args: {
  port: number;
  tls?: 'starttls' | 'implicit';
  auth?: { mech: 'PLAIN' | 'LOGIN'; user: string; password: string };
  from?: string;
  to?: string[];
  msg?: Buffer;
  mailOptions?: string[];
}): Promise<PyResult> {
  return python<PyResult>(PY_CLIENT, { ...args, msg: args.msg?.toString('hex') });
}
