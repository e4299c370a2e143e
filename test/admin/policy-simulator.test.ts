// `rampart check`, the policy simulator: for the same inputs it must give the replies
// a real client gets. Each scenario runs the simulator in-process against a running
// test server's configuration, directory, shared store (read through, never written)
// and DNS, then the same dialogue with python3 smtplib against the server's listener;
// the replies must agree line by line (queue ids aside). Every check of the registry
// is either seen deciding in some scenario (asserted from the simulator's own trace),
// or named below with the reason a scripted session cannot show it.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, USERS, type TestServer } from '../helpers/server.js';
import { python } from '../protocol/support.js';
import { OverlayStore } from '../../src/simulator/overlay-store.js';
import { simulate, generatedMessage, type SimulationInput, type SimulationResult } from '../../src/simulator/simulate.js';
import { allChecks } from '../../src/policy/registry.js';
import { loadTls } from '../../src/listener/tls-context.js';
import { runCli } from '../helpers/cli.js';
import { SmtpClient } from '../helpers/smtp-client.js';
import type { Zone } from '../../src/bench/loopback-dns.js';
import '../../src/policy/checks.js';

/** The checks a scripted session (one client, one dialogue, from 127.0.0.1) cannot make decide, and why. */
const NOT_SHOWN: Record<string, string> = {
  'connect.accessList': 'decides under its own name only when the lists cannot be read from the store; its refusals connect.denyList and connect.connectPolicy are shown',
  'connect.proxyProtocol': 'a listener guard on the PROXY header of a load balancer; the simulated client is direct',
  'connect.maxConnections': 'a listener guard on concurrent connections; the simulator opens one and counts none',
  'connect.pregreet': 'needs a client that talks before the greeting; the simulated client waits for it',
  'auth.disconnectBadAuthLimit': 'needs failed AUTH attempts; the simulator authenticates once, successfully',
  'auth.maxFailedAuthPerIp': 'needs failed AUTH attempts; the simulator authenticates once, successfully',
  'session.maxFailedCommands': 'needs a run of refused commands; the script sends each command once',
  'mail.spoolFreeSpace': 'needs a full disk',
  'data.spoolFreeSpace': 'needs a full disk',
  'data.spool': 'a spool write failure; the simulator queues nothing',
  'eod.spool': 'a spool commit failure; the simulator queues nothing',
  'data.largeMessageSafety': 'aborts a message while it streams in (S4), needs a second oversized attempt with the same key',
  'eod.bareLineEndings': 'smtplib turns bare CR and LF into CRLF before sending',
  'eod.longLines': 'the default wraps long lines (no refusal)',
  'rcpt.maxMessageSize': 'a per-recipient limit (S2/S3 per-domain); mail.maxMessageSize refuses first for the declared size',
  'eod.dkim': 'verifies signatures and records results; decides only through eod.dmarc and eod.score',
  'eod.dmarc': 'needs a signed message and DMARC records; shown by test/sender-auth/',
  'eod.score': 'needs a score over the reject threshold; shown by test/sender-auth/',
  'eod.dkimSign': 'signs our own mail (never refuses)',
};

interface Scenario {
  name: string;
  input: Omit<SimulationInput, 'ip'>;
  /** The real client authenticates with this password (the simulator vouches for it). */
  password?: string;
  /** A check the simulator must show in warn mode (decided, not enforced). */
  warns?: string;
  /** Prepares the server (a deny entry...) before both runs; undone after. */
  setup?: (ts: TestServer) => Promise<() => Promise<void>>;
}

interface Group {
  overrides: Record<string, unknown>;
  zone?: Zone;
  scenarios: Scenario[];
}

const from = 'friend@remote.example';
const GROUPS: Group[] = [
  {
    overrides: { limits: { maxRecipients: 3 } },
    scenarios: [
      { name: 'accepted', input: { helo: 'client.test', from, rcpts: ['alice@example.test'] } },
      { name: 'relay denied, unknown user, one accepted', input: { helo: 'client.test', from, rcpts: ['x@elsewhere.example', 'ghost@example.test', 'bob@example.test'] } },
      { name: 'HELO blocklist', input: { helo: 'ylmf-pc', from, rcpts: ['alice@example.test'] } },
      { name: 'SIZE over the limit', input: { helo: 'client.test', from, rcpts: ['alice@example.test'], size: 999_999_999 } },
      { name: 'too many recipients', input: { helo: 'client.test', from, rcpts: ['alice@example.test', 'bob@example.test', 'team@example.test', 'postmaster@example.test'] } },
      { name: 'local sender without AUTH (spoofing)', input: { helo: 'client.test', from: 'alice@example.test', rcpts: ['bob@example.test'] } },
      { name: 'null sender', input: { helo: 'client.test', from: '', rcpts: ['alice@example.test'] } },
      { name: 'submission with STARTTLS and AUTH', input: { helo: 'client.test', from: USERS.alice.address, rcpts: ['x@elsewhere.example'], tls: true, auth: USERS.alice.address, listener: 'submission' }, password: USERS.alice.password },
      {
        name: 'deny list',
        input: { helo: 'client.test', from, rcpts: ['alice@example.test'] },
        setup: async (ts) => {
          await ts.server.access.add('deny', '127.0.0.1', { reason: 'simulator test', source: 'manual' });
          return async () => void (await ts.server.access.remove('deny', '127.0.0.1/32'));
        },
      },
    ],
  },
  {
    // S3 channel limits on the built-in local channel (1 KiB blocks), Q5 quotas.
    overrides: { limits: { blockSize: 1024 }, channels: { local: { recipientLimit: 1, blockLimit: 2 } } },
    scenarios: [
      { name: 'recipients past the channel recipientLimit', input: { helo: 'client.test', from, rcpts: ['alice@example.test', 'bob@example.test'] } },
      { name: 'message over the channel blockLimit', input: { helo: 'client.test', from, rcpts: ['alice@example.test'], message: Buffer.from(`From: <${from}>\r\nTo: <alice@example.test>\r\nSubject: big\r\n\r\n${'x'.repeat(70).concat('\r\n').repeat(60)}`) } },
      {
        name: 'SIZE= over the mailbox quota (hold mode)',
        input: { helo: 'client.test', from, rcpts: ['alice@example.test'], size: 5000 },
        setup: async (ts) => {
          ts.server.directory.quotas.set('alice@example.test', { bytes: 1024, mode: 'hold' });
          return async () => ts.server.directory.quotas.unset('alice@example.test');
        },
      },
    ],
  },
  {
    // H8, R5 and H9, each prepared before both runs. H9 last: the real run's recipients count for the sender.
    overrides: { limits: { recipientCutoff: 2 } },
    scenarios: [
      { name: 'more recipients presented than limits.recipientCutoff (H8)', input: { helo: 'client.test', from, rcpts: ['alice@example.test', 'bob@example.test', 'team@example.test'] } },
      {
        name: 'authenticated sender outside its postoffice (R5)',
        input: { helo: 'client.test', from: 'someone@elsewhere.example', rcpts: ['x@elsewhere.example'], tls: true, auth: USERS.alice.address, listener: 'submission' },
        password: USERS.alice.password,
        setup: async (ts) => {
          ts.server.directory.postoffices.add('acme');
          ts.server.directory.postoffices.assign('acme', 'example.test');
          return async () => void ts.server.directory.postoffices.remove('acme', true);
        },
      },
      {
        // H9 counts outbound recipients: an authenticated user relaying to two outside addresses.
        name: 'recipients per hour over the user\'s directory limit (H9)',
        input: { helo: 'client.test', from: USERS.alice.address, rcpts: ['x@elsewhere.example', 'y@elsewhere.example'], tls: true, auth: USERS.alice.address, listener: 'submission' },
        password: USERS.alice.password,
        setup: async (ts) => {
          ts.server.directory.limits.set(USERS.alice.address, { recipientsPerHour: 1 });
          return async () => ts.server.directory.limits.unset(USERS.alice.address);
        },
      },
    ],
  },
  {
    // P4: one connection made before both runs; each run's own connection is the second in the window.
    overrides: { limits: { maxConnectionRatePerIp: 1 } },
    scenarios: [
      {
        name: 'connection rate over limits.maxConnectionRatePerIp (P4)',
        input: { helo: 'client.test', from, rcpts: ['alice@example.test'] },
        setup: async (ts) => {
          const c = await SmtpClient.connect(ts.ports.mx);
          assert.equal((await c.reply()).code, 220);
          c.close();
          return async () => {};
        },
      },
    ],
  },
  {
    // S1, S3 and S5 limits met at end of data: no SIZE= declared, so only the message itself can tell.
    overrides: { limits: { maxMessageSize: 8192, lineLimit: 30, maxHeaderLines: 6 } },
    scenarios: [
      { name: 'message over limits.maxMessageSize without SIZE= (S1)', input: { helo: 'client.test', from, rcpts: ['alice@example.test'], message: Buffer.from(`From: <${from}>\r\nSubject: big\r\n\r\n${'x'.repeat(900).concat('\r\n').repeat(12)}`) } },
      { name: 'message over limits.lineLimit (S3)', input: { helo: 'client.test', from, rcpts: ['alice@example.test'], message: Buffer.from(`From: <${from}>\r\nSubject: tall\r\n\r\n${'line\r\n'.repeat(40)}`) } },
      { name: 'header section over limits.maxHeaderLines (S5)', input: { helo: 'client.test', from, rcpts: ['alice@example.test'], message: Buffer.from(`From: <${from}>\r\n${Array.from({ length: 8 }, (_, i) => `X-Extra-${i}: ${i}\r\n`).join('')}Subject: headers\r\n\r\nbody\r\n`) } },
    ],
  },
  {
    overrides: { policy: { warn: ['rcpt.localRecipient'] } },
    scenarios: [{ name: 'unknown user with rcpt.localRecipient in warn mode', input: { helo: 'client.test', from, rcpts: ['ghost@example.test'] }, warns: 'rcpt.localRecipient' }],
  },
  {
    overrides: { access: { connectPolicy: 'allowListOnly' } },
    scenarios: [{ name: 'allow-list-only server, unlisted client', input: { helo: 'client.test', from, rcpts: ['alice@example.test'] } }],
  },
  {
    overrides: { policy: { senderDomainResolvable: true } },
    zone: { records: { 'good.example': [{ type: 'A', data: '192.0.2.10' }] } },
    scenarios: [
      { name: 'sender domain does not exist (H1)', input: { helo: 'client.test', from: 'a@nowhere.example', rcpts: ['alice@example.test'] } },
      { name: 'sender domain exists', input: { helo: 'client.test', from: 'a@good.example', rcpts: ['alice@example.test'] } },
    ],
  },
  {
    overrides: { senderAuth: { spf: { mode: 'reject' }, dkim: { verify: false }, dmarc: { enabled: false } } },
    zone: { records: { 'spf.example': [{ type: 'A', data: '192.0.2.10' }, { type: 'TXT', data: 'v=spf1 -all' }] } },
    scenarios: [{ name: 'SPF fail', input: { helo: 'client.test', from: 'a@spf.example', rcpts: ['alice@example.test'] } }],
  },
  {
    overrides: { policy: { ptr: 'reject' } },
    scenarios: [{ name: 'no PTR record (H2)', input: { helo: 'client.test', from, rcpts: ['alice@example.test'] } }],
  },
  {
    overrides: { greylist: { enabled: true } },
    scenarios: [{ name: 'greylisted first attempt (A9)', input: { helo: 'client.test', from, rcpts: ['alice@example.test'] } }],
  },
  {
    overrides: { dnsbl: { zones: ['bl.test'], threshold: 1, refuseAt: 'rcpt' } },
    zone: { records: { '1.0.0.127.bl.test': [{ type: 'A', data: '127.0.0.2' }] } },
    scenarios: [{ name: 'DNSBL-listed client refused at RCPT', input: { helo: 'client.test', from, rcpts: ['alice@example.test'] } }],
  },
  {
    overrides: { dnsbl: { zones: ['bl.test'], threshold: 1, refuseAt: 'connect' } },
    zone: { records: { '1.0.0.127.bl.test': [{ type: 'A', data: '127.0.0.2' }] } },
    scenarios: [{ name: 'DNSBL-listed client refused at connect', input: { helo: 'client.test', from, rcpts: ['alice@example.test'] } }],
  },
];

// The same dialogue as src/simulator/simulate.ts, with smtplib: stop at the first refusal
// of a step that ends the dialogue, QUIT after a refused MAIL, HELO after a refused EHLO.
const SMTPLIB = String.raw`
import json, os, smtplib, ssl, base64
a = json.load(open(os.environ['ARGS_FILE']))
out = []
s = smtplib.SMTP(timeout=20)
def rec(r):
    out.append([r[0], r[1].decode('latin1')])
    return r[0]
def cmd(line):
    s.putcmd(line)
    return rec(s.getreply())
try:
    while True:
        if rec(s.connect('127.0.0.1', a['port'])) != 220: break
        c = cmd('EHLO ' + a['helo'])
        if c != 250: c = cmd('HELO ' + a['helo'])
        if c != 250: cmd('QUIT'); break
        if a.get('tls'):
            if cmd('STARTTLS') != 220: cmd('QUIT'); break
            ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
            s.sock = ctx.wrap_socket(s.sock, server_hostname='mx.rampart.test'); s.file = None
            if cmd('EHLO ' + a['helo']) != 250: cmd('QUIT'); break
        if a.get('auth'):
            tok = base64.b64encode(('\0' + a['auth'] + '\0' + a['password']).encode()).decode()
            if cmd('AUTH PLAIN ' + tok) != 235: cmd('QUIT'); break
        size = ' SIZE=%d' % a['size'] if a.get('size') is not None else ''
        if cmd('MAIL FROM:<%s>%s' % (a['from'], size)) != 250: cmd('QUIT'); break
        ok = 0
        for r in a['rcpts']:
            if cmd('RCPT TO:<%s>' % r) in (250, 251): ok += 1
        if not ok: cmd('QUIT'); break
        if cmd('DATA') != 354: cmd('QUIT'); break
        s.send(smtplib.quotedata(a['message']).encode('latin1') + b'\r\n.\r\n')
        rec(s.getreply())
        cmd('QUIT')
        break
except smtplib.SMTPServerDisconnected:
    out.append(['closed'])
print(json.dumps(out))
`;

/** A reply as compared: code and text lines, queue ids and the TLS cipher line aside. */
function norm(code: number, text: string): string {
  return `${code} ${text.replace(/queued as [0-9A-Z]+/g, 'queued as ID')}`;
}

function simReplies(r: SimulationResult): string[] {
  return r.replies.map((x) => norm(x.code, x.raw.join('\n')));
}

const seen = new Set<string>();
const servers: TestServer[] = [];
after(async () => {
  for (const s of servers) await s.stop();
});

for (const [gi, group] of GROUPS.entries()) {
  test(`the simulator and smtplib get the same replies: ${group.scenarios.map((s) => s.name).join('; ')}`, { timeout: 120_000 }, async () => {
    const ts = await startTestServer(group.overrides, { zone: group.zone ?? { records: {} } });
    servers.push(ts);
    const snap = ts.server.config();
    const tls = await loadTls(snap);
    for (const sc of group.scenarios) {
      const undo = await sc.setup?.(ts);
      try {
        const input: SimulationInput = { ip: '127.0.0.1', ...sc.input };
        const sim = await simulate({ config: snap, directory: ts.server.directory, store: new OverlayStore(ts.server.store), dns: ts.server.dns, access: ts.server.access, tls }, input);
        for (const s of sim.steps) {
          if (s.kind === 'check' && s.verdict !== 'no opinion') seen.add(s.check);
          if (s.kind === 'decision') seen.add(s.event.check);
        }
        // A message is sent only after MAIL and RCPT pass; a huge declared SIZE never gets that far.
        const message = (input.size ?? 0) > 1_000_000 ? '' : (input.message ?? generatedMessage(input, snap.hostname)).toString('latin1').replace(/\r\n$/, '');
        const listener = input.listener ?? 'mx';
        const real = await python<Array<[number, string] | ['closed']>>(SMTPLIB, { port: ts.ports[listener], helo: input.helo, from: input.from, rcpts: input.rcpts, size: input.size ?? null, tls: !!input.tls, auth: input.auth, password: sc.password, message });
        const realReplies = real.filter((r): r is [number, string] => r[0] !== 'closed').map(([c, t]) => norm(c, t));
        assert.deepEqual(simReplies(sim), realReplies, `${sc.name} (group ${gi})`);
        if (sc.warns) assert.ok(sim.steps.some((st) => st.kind === 'check' && st.check === sc.warns && st.warn && st.verdict === 'reject'), `${sc.name}: shown in warn mode`);
        assert.equal(sim.steps.at(-1)?.kind === 'closed', real.at(-1)?.[0] === 'closed', `${sc.name}: both see the server close the connection, or neither`);
      } finally {
        await undo?.();
      }
    }
  });
}

test('every check of the registry is seen deciding in a scenario, or named with the reason it cannot be', () => {
  const names = allChecks().map((c) => c.name);
  const missing = names.filter((n) => !seen.has(n) && !NOT_SHOWN[n]);
  assert.deepEqual(missing, [], 'checks neither shown deciding nor explained');
  assert.deepEqual(Object.keys(NOT_SHOWN).filter((n) => !names.includes(n)), [], 'explained names that are not checks');
  assert.deepEqual(Object.keys(NOT_SHOWN).filter((n) => seen.has(n)), [], 'explained as not shown, but shown: take them off the list');
});

test('rampart check: text report, --json, exit status, nothing queued and nothing written', async () => {
  const ts = await startTestServer({ greylist: { enabled: true } });
  servers.push(ts);
  const dir = mkdtempSync(join(tmpdir(), 'rampart-check-'));
  try {
    const cfg = join(dir, 'rampart.yaml');
    const snap = ts.server.config();
    writeFileSync(cfg, JSON.stringify({ hostname: snap.hostname, dataDir: snap.dataDir, listeners: [{ name: 'mx', kind: 'mx', addresses: ['127.0.0.1'], port: 0, pregreetWaitMs: 0 }], relay: { lanNetworks: ['192.0.2.0/24'] }, policy: { senderDomainResolvable: false }, senderAuth: { spf: { mode: 'off' }, dkim: { verify: false }, dmarc: { enabled: false } }, greylist: { enabled: true, delayMs: 1 } }));
    const args = ['check', '--ip', '203.0.113.7', '--helo', 'mail.example.net', '--from', 'a@b.example', '--rcpt', 'alice@example.test'];
    const r = await runCli(args, { config: cfg });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /^rampart check: client 203\.0\.113\.7 on listener mx; .*nothing queued, no shared state written\n/);
    assert.match(r.stdout, /^ {4}connect +connect\.accessList +no opinion$/m);
    assert.match(r.stdout, /^>>> RCPT TO:<alice@example\.test>\n(.*\n)* {4}rcpt +rcpt\.greylist +tempfail 451 4\.7\.1 .*\n<<< 451 4\.7\.1 /m);
    assert.match(r.stdout, /\nresult: refused at rcpt by rcpt\.greylist \(451 4\.7\.1\)\n$/);
    // Not recorded: the same check again is greylisted again (a recorded triplet would be remembered).
    const again = await runCli([...args, '--json'], { config: cfg });
    const j = JSON.parse(again.stdout);
    assert.equal(j.accepted, false);
    assert.equal(j.recorded, false);
    assert.ok(j.steps.some((s: { kind: string; check?: string; verdict?: string }) => s.kind === 'check' && s.check === 'rcpt.greylist' && s.verdict === 'tempfail'));
    // --record writes as a real session does: the triplet is remembered, so the retry passes (delayMs 1).
    assert.equal(JSON.parse((await runCli([...args, '--record', '--json'], { config: cfg })).stdout).accepted, false);
    const recorded = await runCli([...args, '--record'], { config: cfg });
    assert.equal(recorded.code, 0, recorded.stdout);
    assert.match(recorded.stdout, /shared state WRITTEN \(--record\)/);
    assert.match(recorded.stdout, /\nresult: the message would be accepted \(250 at end of data\); nothing was queued\n$/);

    // --dns: canned answers instead of the configured resolvers.
    const dnsCfg = join(dir, 'dns.yaml');
    writeFileSync(dnsCfg, readFileSync(cfg, 'utf8').replace('"senderDomainResolvable":false', '"senderDomainResolvable":true'));
    const zone = join(dir, 'zone.yaml');
    writeFileSync(zone, 'records:\n  good.example:\n    - { type: A, data: 192.0.2.10 }\n');
    const dnsArgs = (sender: string) => ['check', '--ip', '203.0.113.7', '--helo', 'mail.example.net', '--from', sender, '--rcpt', 'bob@example.test', '--dns', zone];
    const known = await runCli(dnsArgs('a@good.example'), { config: dnsCfg });
    assert.match(known.stdout, /^ {4}mail +mail\.senderDomainResolvable +no opinion$/m);
    const unknown = await runCli(dnsArgs('a@nowhere.example'), { config: dnsCfg });
    assert.match(unknown.stdout, /\nresult: refused at mail by mail\.senderDomainResolvable \(\d{3} \d\.\d\.\d+\)\n$/);
    writeFileSync(zone, 'records: [1, 2]\n');
    const badZone = await runCli(dnsArgs('a@good.example'), { config: dnsCfg });
    assert.equal(badZone.code, 2);
    assert.match(badZone.stderr, /--dns .*zone\.yaml: records\.0: expected a list of \{type, data\}|--dns .*: expected "records:"/);

    const ok = await runCli(['check', '--ip', '203.0.113.7', '--helo', 'mail.example.net', '--from', 'a@b.example', '--rcpt', 'bob@example.test', '--listener', 'mx'], { config: join(dir, 'none.yaml') });
    assert.equal(ok.code, 2, 'a missing configuration is a usage error');
    const bad = await runCli(['check', '--ip', 'nope', '--helo', 'h', '--from', 'a@b.example', '--rcpt', 'bob@example.test'], { config: cfg });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--ip: "nope" is not an IPv4 or IPv6 address/);
    assert.equal(ts.server.scheduler.stats().waiting + ts.server.scheduler.stats().ready, 0, 'nothing queued');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
