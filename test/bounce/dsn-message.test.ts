// Q2 DSN building (RFC 3461, 3462/6522, 3464, 6533), parsed back with an
// independent MIME parser and checked field by field.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { buildDsn, type DsnInput } from '../../src/bounce/dsn-message.js';
import { parseDsn } from '../helpers/dsn.js';

const ORIGINAL = 'Received: from client.test\r\nFrom: Sender <s@remote.test>\r\nSubject: the original\r\nMessage-ID: <orig@remote.test>\r\n\r\nline one\r\nline two\r\n';
const DATE_RE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d [+-]\d{4}$/;

function input(over: Partial<DsnInput> = {}, body = ORIGINAL): DsnInput {
  const bytes = Buffer.from(body, 'utf8');
  return {
    kind: 'failure',
    reportingMta: 'mx.rampart.test',
    queueId: '0ABCDEFGHIJKL123456',
    to: 's@remote.test',
    receivedAt: Date.parse('2024-05-01T10:00:00Z'),
    smtputf8: false,
    recipients: [
      { finalRecipient: 'bob@example.org', action: 'failed', status: '5.1.1', diagnostic: '550 5.1.1 <bob@example.org>: no such user', fromPeer: true, remoteMta: 'mx.example.org', lastAttempt: Date.parse('2024-05-01T10:05:00Z') },
    ],
    original: { open: () => Readable.from([bytes]), size: bytes.length },
    returnLimit: 50000,
    now: Date.parse('2024-05-01T10:05:01Z'),
    ...over,
  };
}

test('Q2 failure DSN: multipart/report, RFC 3464 per-message and per-recipient fields, header section returned by default', async () => {
  const built = await buildDsn(input({ envid: 'QQ+2B314', recipients: [{ ...input().recipients[0], orcpt: 'rfc822;Bob+2BX@example.org' }] }));
  assert.equal(built.smtputf8, false);
  assert.equal(built.eightBit, false);
  const d = await parseDsn(built.bytes);
  assert.equal(d.type, 'multipart/report');
  assert.equal(d.params['report-type'], 'delivery-status');
  assert.equal(d.header.from, 'Mail Delivery System <MAILER-DAEMON@mx.rampart.test>');
  assert.equal(d.header.to, '<s@remote.test>');
  assert.equal(d.header.subject, 'Undelivered Mail Returned to Sender');
  assert.equal(d.header['auto-submitted'], 'auto-replied');
  assert.equal(d.header['mime-version'], '1.0');
  assert.match(d.header.date, DATE_RE);
  assert.match(d.header['message-id'], /^<[^<>@]+@mx\.rampart\.test>$/);
  assert.deepEqual(d.parts.map((p) => p.type), ['text/plain', 'message/delivery-status', 'text/rfc822-headers']);
  assert.match(d.human, /<bob@example\.org>: 550 5\.1\.1 <bob@example\.org>: no such user \(reply from mx\.example\.org\)/);
  assert.match(d.human, /The header section of the message is attached below\./);
  // RFC 3464 2.2: per-message fields.
  assert.deepEqual(Object.keys(d.perMessage), ['reporting-mta', 'x-rampart-queue-id', 'original-envelope-id', 'arrival-date']);
  assert.equal(d.perMessage['reporting-mta'], 'dns; mx.rampart.test');
  assert.equal(d.perMessage['original-envelope-id'], 'QQ+314', 'ENVID decoded from xtext (RFC 3461 6.3 a)');
  assert.equal(d.perMessage['arrival-date'], 'Wed, 1 May 2024 10:00:00 +0000');
  // RFC 3464 2.3: one group per recipient.
  assert.equal(d.perRecipient.length, 1);
  assert.deepEqual(d.perRecipient[0], {
    'original-recipient': 'rfc822; Bob+X@example.org',
    'final-recipient': 'rfc822; bob@example.org',
    action: 'failed',
    status: '5.1.1',
    'remote-mta': 'dns; mx.example.org',
    'diagnostic-code': 'smtp; 550 5.1.1 <bob@example.org>: no such user',
    'last-attempt-date': 'Wed, 1 May 2024 10:05:00 +0000',
  });
  assert.equal(d.parts[2].body.toString('latin1'), ORIGINAL.slice(0, ORIGINAL.indexOf('\r\n\r\n') + 2));
});

test('Q2 RET=FULL returns the whole message as message/rfc822; over bounceSizeLimit only the header section, with a note', async () => {
  const full = await parseDsn((await buildDsn(input({ ret: 'FULL' }))).bytes);
  assert.equal(full.parts[2].type, 'message/rfc822');
  assert.equal(full.parts[2].body.toString('latin1'), ORIGINAL);
  assert.match(full.human, /The message is attached below\./);

  const big = ORIGINAL + 'x'.repeat(2000) + '\r\n';
  const cut = await parseDsn((await buildDsn(input({ ret: 'FULL', returnLimit: 1024 }, big))).bytes);
  assert.equal(cut.parts[2].type, 'text/rfc822-headers', 'a cut message is never labelled message/rfc822');
  assert.equal(cut.parts[2].body.toString('latin1'), ORIGINAL.slice(0, ORIGINAL.indexOf('\r\n\r\n') + 2));
  assert.match(cut.human, new RegExp(`The message was ${Buffer.byteLength(big)} octets, more than the 1024 this server returns whole;\\s+only its header section is attached below\\.`));
});

test('Q2 no ORCPT: no Original-Recipient (RFC 3461 6.3 d); a local reason is an X-Rampart diagnostic; alias expansion named in the text', async () => {
  const d = await parseDsn(
    (await buildDsn(input({ recipients: [{ finalRecipient: 'ghost@example.test', expandedFrom: 'team@example.test', action: 'failed', status: '5.1.1', diagnostic: 'alias target ghost@example.test is not a local mailbox or alias', lastAttempt: Date.parse('2024-05-01T10:05:00Z') }] }))).bytes,
  );
  assert.equal(d.perRecipient[0]['original-recipient'], undefined);
  assert.equal(d.perRecipient[0]['remote-mta'], undefined);
  assert.equal(d.perRecipient[0]['diagnostic-code'], 'X-Rampart; alias target ghost@example.test is not a local mailbox or alias');
  assert.match(d.human, /<ghost@example\.test> \(expanded from <team@example\.test>\)/);
});

test('Q2 delay and success notices: Action delayed with Will-Retry-Until; Action delivered / relayed / expanded', async () => {
  const until = Date.parse('2024-05-06T10:00:00Z');
  const delay = await parseDsn(
    (await buildDsn(input({ kind: 'delay', recipients: [{ finalRecipient: 'bob@example.org', action: 'delayed', status: '4.4.1', diagnostic: 'connection timed out', lastAttempt: Date.parse('2024-05-01T14:00:00Z'), willRetryUntil: until }] }))).bytes,
  );
  assert.equal(delay.header.subject, 'Delayed Mail (still being retried)');
  assert.equal(delay.perRecipient[0].action, 'delayed');
  assert.equal(delay.perRecipient[0].status, '4.4.1');
  assert.equal(delay.perRecipient[0]['will-retry-until'], 'Mon, 6 May 2024 10:00:00 +0000');
  assert.match(delay.human, /you need not send it again/);

  const ok = await parseDsn(
    (
      await buildDsn(
        input({
          kind: 'success',
          recipients: [
            { finalRecipient: 'alice@example.test', action: 'delivered', status: '2.0.0' },
            { finalRecipient: 'x@example.org', action: 'relayed', status: '2.0.0', diagnostic: '250 2.0.0 queued as 123', fromPeer: true, remoteMta: 'mx.example.org' },
            { finalRecipient: 'x@elsewhere.example', expandedFrom: 'list@example.test', action: 'expanded', status: '2.0.0' },
          ],
        }),
      )
    ).bytes,
  );
  assert.equal(ok.header.subject, 'Successful Mail Delivery Report');
  assert.deepEqual(ok.perRecipient.map((r) => [r.action, r.status]), [['delivered', '2.0.0'], ['relayed', '2.0.0'], ['expanded', '2.0.0']]);
  assert.equal(ok.perRecipient[0]['diagnostic-code'], undefined, 'a local delivery needs no diagnostic');
  assert.equal(ok.perRecipient[1]['diagnostic-code'], 'smtp; 250 2.0.0 queued as 123');
});

test('Q2 RFC 6533: an SMTPUTF8 original gets global-delivery-status, utf-8 addresses, message/global-headers, 8bit', async () => {
  const body = 'From: J\u00fcrgen <j\u00fcrgen@b\u00fccher.example>\r\nSubject: gr\u00fc\u00dfe\r\n\r\nhallo\r\n';
  const built = await buildDsn(input({ smtputf8: true, to: 'j\u00fcrgen@b\u00fccher.example', recipients: [{ finalRecipient: '\u00e9l\u00e8ve@example.test', action: 'failed', status: '5.1.1', diagnostic: 'no such local mailbox: \u00e9l\u00e8ve@example.test' }] }, body));
  assert.equal(built.smtputf8, true);
  assert.equal(built.eightBit, true);
  const d = await parseDsn(built.bytes);
  assert.equal(d.params['report-type'], 'global-delivery-status');
  assert.deepEqual(d.parts.map((p) => p.type), ['text/plain', 'message/global-delivery-status', 'message/global-headers']);
  assert.equal(d.parts[2].encoding, '8bit');
  assert.equal(d.perRecipient[0]['final-recipient'], 'utf-8; \u00e9l\u00e8ve@example.test');
  assert.equal(d.parts[2].body.toString('utf8'), body.slice(0, body.indexOf('\r\n\r\n') + 2));
});

test('Q2 header-safe fields: a peer reply with CR/LF or 8-bit octets cannot break the report; long values are folded', async () => {
  const nasty = '550-5.7.1 first line\r\n550 5.7.1 second \u00ff line ' + 'word '.repeat(60);
  const d = await parseDsn((await buildDsn(input({ recipients: [{ ...input().recipients[0], diagnostic: nasty }] }))).bytes);
  const diag = d.perRecipient[0]['diagnostic-code'];
  assert.match(diag, /^smtp; 550-5\.7\.1 first line 550 5\.7\.1 second \? line word word/);
  assert.equal(d.perRecipient.length, 1, 'no injected recipient group');
  const raw = (await buildDsn(input({ recipients: [{ ...input().recipients[0], diagnostic: nasty }] }))).bytes.toString('latin1');
  assert.ok(raw.split('\r\n').every((l) => l.length <= 998));
  assert.ok(raw.split('\r\n').filter((l) => l.startsWith('Diagnostic-Code:')).every((l) => l.length <= 80), 'folded near 78');
});
