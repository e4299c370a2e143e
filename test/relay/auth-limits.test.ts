// R4 failed AUTH limits (Sun disconnectbadauthlimit) and H6 automatic deny, with
// a raw client, swaks and python3 smtplib over STARTTLS (587) and implicit TLS (465).

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { start, listeners, swaks, swaksReplies, sleep, USERS, type TestServer } from '../protocol/support.js';
import { SmtpClient, codes } from '../helpers/smtp-client.js';
import { until } from '../helpers/until.js';

const ALICE = USERS.alice;
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const plain = (user: string, pw: string) => `AUTH PLAIN ${b64(`\0${user}\0${pw}`)}`;
const UNTRUSTED = { relay: { lanNetworks: ['192.0.2.0/24'] } };
/** An extra mx listener on loopback that offers AUTH without TLS (for raw-socket tests). */
const PLAIN_AUTH = listeners({}, [{ name: 'plainauth', kind: 'mx', addresses: ['127.0.0.1'], port: 0, pregreetWaitMs: 0, allowInsecureAuth: true }]);

async function session(port: number): Promise<SmtpClient> {
  const c = await SmtpClient.connect(port);
  assert.equal((await c.reply()).code, 220);
  assert.equal((await c.cmd('EHLO client.test')).code, 250);
  return c;
}


async function firstReply(ts: TestServer, port: number): Promise<string> {
  const c = await SmtpClient.connect(port);
  try {
    return codes(await c.reply());
  } finally {
    c.close();
  }
}

describe('R4 disconnectBadAuthLimit', { timeout: 120_000 }, () => {
  test('raw client: 535 5.7.8 twice, the third failure 421 4.7.0 and close (default limit 3)', async () => {
    const ts = await start({ ...UNTRUSTED, listeners: PLAIN_AUTH, access: { autoDeny: { enabled: false } } });
    try {
      const c = await session(ts.ports.plainauth);
      try {
        assert.equal(codes(await c.cmd(plain(ALICE.address, 'wrong-1'))), '535 5.7.8');
        assert.equal(codes(await c.cmd('AUTH LOGIN')), '334 -');
        assert.equal((await c.cmd(b64(ALICE.address))).code, 334);
        assert.equal(codes(await c.cmd(b64('wrong-2'))), '535 5.7.8');
        assert.equal(codes(await c.cmd(plain(ALICE.address, 'wrong-3'))), '421 4.7.0');
        await c.waitClosed(3000);
      } finally {
        c.close();
      }
      const d = ts.logs.find((l) => l.event === 'decision' && l.check === 'auth.disconnectBadAuthLimit')!;
      assert.equal(d.feature, 'R4');
      assert.equal(d.stage, 'auth');
      // An aborted exchange is not a failed attempt; a success in between is fine.
      const c2 = await session(ts.ports.plainauth);
      try {
        assert.equal(codes(await c2.cmd(plain(ALICE.address, 'wrong'))), '535 5.7.8');
        assert.equal((await c2.cmd('AUTH LOGIN')).code, 334);
        assert.equal(codes(await c2.cmd('*')), '501 5.7.0');
        assert.equal(codes(await c2.cmd(plain(ALICE.address, ALICE.password))), '235 2.7.0');
        assert.equal(codes(await c2.cmd('MAIL FROM:<alice@example.test>')), '250 2.1.0');
      } finally {
        c2.close();
      }
    } finally {
      await ts.stop();
    }
  });

  test('smtplib over STARTTLS and implicit TLS: the limit is per session and configurable (auth.disconnectBadAuthLimit: 2)', async () => {
    const ts = await start({ ...UNTRUSTED, auth: { disconnectBadAuthLimit: 2 }, access: { autoDeny: { enabled: false } } });
    try {
      // smtplib tries one mechanism per auth() call; its login() would try several. One call = one failure.
      const script = String.raw`
import json, os, smtplib, ssl
a = json.load(open(os.environ['ARGS_FILE']))
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
if a['tls'] == 'implicit':
    s = smtplib.SMTP_SSL('127.0.0.1', a['port'], timeout=10, context=ctx)
else:
    s = smtplib.SMTP('127.0.0.1', a['port'], timeout=10); s.ehlo(); s.starttls(context=ctx)
s.ehlo()
out = []
for i in range(3):
    try:
        s.user, s.password = a['user'], 'wrong-%d' % i
        out.append(list(s.auth('PLAIN', s.auth_plain)))
    except smtplib.SMTPAuthenticationError as e:
        out.append([e.smtp_code, e.smtp_error.decode()])
    except smtplib.SMTPServerDisconnected as e:
        out.append(['disconnected', str(e)])
        break
print(json.dumps(out))
`;
      const { python } = await import('../protocol/support.js');
      for (const [tls, port] of [['starttls', ts.ports.submission], ['implicit', ts.ports.submissions]] as const) {
        const out = await python<Array<[number | string, string]>>(script, { port, tls, user: ALICE.address });
        assert.equal(out[0][0], 535, JSON.stringify(out));
        assert.match(out[0][1], /^5\.7\.8 /);
        assert.equal(out[1][0], 421, JSON.stringify(out));
        assert.match(out[1][1], /^4\.7\.0 /);
        assert.equal(out[2]?.[0], 'disconnected', JSON.stringify(out));
      }
    } finally {
      await ts.stop();
    }
  });

  test('swaks, one wrong password per connection: the per-address count (auth.maxFailedAuthPerIp) ends it with 421 4.7.0', async () => {
    const ts = await start({ ...UNTRUSTED, auth: { maxFailedAuthPerIp: 3 }, access: { autoDeny: { enabled: false } } });
    try {
      const got: string[] = [];
      for (let i = 0; i < 4; i++) {
        const r = await swaks(ts.ports.submission, ['--tls', '--auth', 'LOGIN', '--auth-user', ALICE.address, '--auth-password', `wrong-${i}`, '--from', ALICE.address, '--to', 'bob@example.test']);
        assert.notEqual(r.code, 0);
        got.push(swaksReplies(r.stdout).find((l) => /^(535|421) /.test(l)) ?? r.stdout);
      }
      assert.match(got[0], /^535 5\.7\.8 /);
      assert.match(got[1], /^535 5\.7\.8 /);
      assert.match(got[2], /^421 4\.7\.0 /);
      assert.match(got[3], /^421 4\.7\.0 /);
      assert.ok(ts.logs.some((l) => l.event === 'decision' && l.check === 'auth.maxFailedAuthPerIp' && l.feature === 'R4'));
      // The right password still works for the first attempt of a session (the count is about failures).
      const ok = await swaks(ts.ports.submissions, ['--tlsc', '--auth', 'PLAIN', '--auth-user', ALICE.address, '--auth-password', ALICE.password, '--from', ALICE.address, '--to', 'bob@example.test']);
      assert.equal(ok.code, 0, ok.stdout);
    } finally {
      await ts.stop();
    }
  });
});

describe('H6 automatic deny', { timeout: 120_000 }, () => {
  test('R4 -> H6 (threshold 1): the client is denied on its next connection, with reason and expiry', async () => {
    const ts = await start({ ...UNTRUSTED, listeners: PLAIN_AUTH, access: { autoDeny: { threshold: 1, expiresMs: 600_000 } } });
    try {
      const c = await session(ts.ports.plainauth);
      try {
        for (let i = 0; i < 2; i++) assert.equal(codes(await c.cmd(plain(ALICE.address, 'nope'))), '535 5.7.8');
        assert.equal(codes(await c.cmd(plain(ALICE.address, 'nope'))), '421 4.7.0');
        await c.waitClosed(3000);
      } finally {
        c.close();
      }
      await until('auto-deny logged', () => ts.logs.some((l) => l.event === 'auto-deny'));
      assert.equal(await firstReply(ts, ts.ports.mx), '554 5.7.1');
      assert.equal(await firstReply(ts, ts.ports.submission), '554 5.7.1');
      const e = ts.server.access.denied('127.0.0.1')!;
      assert.equal(e.source, 'auto');
      assert.match(e.reason, /^H6 automatic: R4 bad-auth/);
      const left = e.expiresAt! - Date.now();
      assert.ok(left > 590_000 && left <= 600_000, String(left));
      const d = ts.logs.find((l) => l.event === 'decision' && l.check === 'connect.denyList')!;
      assert.equal(d.feature, 'H6');
    } finally {
      await ts.stop();
    }
  });

  test('H5 -> H6 with the default threshold (3 events): the fourth connection is refused', async () => {
    const ts = await start({ ...UNTRUSTED, limits: { maxFailedCommands: 3 } });
    try {
      for (let i = 0; i < 3; i++) {
        assert.equal(await firstReply(ts, ts.ports.mx), '220 -', `connection ${i} is still welcome`);
        const c = await SmtpClient.connect(ts.ports.mx);
        try {
          await c.reply();
          c.write('NONSENSE1\r\nNONSENSE2\r\nNONSENSE3\r\n');
          const replies = await c.replies(3);
          assert.deepEqual(replies.map(codes), ['500 5.5.1', '500 5.5.1', '500 5.5.1']);
          assert.equal(codes(await c.reply()), '421 4.7.0');
          await c.waitClosed(3000);
        } finally {
          c.close();
        }
        await until(`abuse event ${i + 1} handled`, () => ts.logs.filter((l) => l.event === 'abuse' || l.event === 'auto-deny').length >= i + 1);
      }
      assert.equal(await firstReply(ts, ts.ports.mx), '554 5.7.1');
    } finally {
      await ts.stop();
    }
  });

  test('trusted clients (LAN) are never denied automatically; authentication success is not punished', async () => {
    const ts = await start({ relay: { lanNetworks: ['127.0.0.1/32'] }, listeners: PLAIN_AUTH, access: { autoDeny: { threshold: 1 } } });
    try {
      const c = await session(ts.ports.plainauth);
      try {
        for (let i = 0; i < 2; i++) await c.cmd(plain(ALICE.address, 'nope'));
        assert.equal(codes(await c.cmd(plain(ALICE.address, 'nope'))), '421 4.7.0', 'R4 applies to the LAN too');
        await c.waitClosed(3000);
      } finally {
        c.close();
      }
      await sleep(200);
      assert.equal(await firstReply(ts, ts.ports.mx), '220 -');
      assert.equal(ts.server.access.size('deny'), 0);
    } finally {
      await ts.stop();
    }
  });
});
