// A7 the quarantine mark is read from the fields Rampart added, and only there.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isQuarantined } from './quarantine.js';

test('A7 quarantine: our X-Rampart-Score with the quarantine verdict, anywhere in the added fields', () => {
  assert.equal(isQuarantined(Buffer.from('X-Rampart-Score: 9 quarantine (mail.spf=3 connect.dnsbl=6)\r\n')), true);
  assert.equal(isQuarantined(Buffer.from('Authentication-Results: mx; dmarc=fail\r\nX-Rampart-Score: 5 quarantine (mail.spf=3 eod.dmarc=2) by eod.dmarc\r\n')), true);
  assert.equal(isQuarantined(Buffer.from('X-Rampart-Score: -1.5 quarantine\r\n')), true);
});

test('A7 quarantine: accept and reject verdicts, other fields, and nothing added are not quarantine', () => {
  assert.equal(isQuarantined(Buffer.from('X-Rampart-Score: 0 accept\r\n')), false);
  assert.equal(isQuarantined(Buffer.from('X-Rampart-DNSBL: quarantine.test=127.0.0.2(+3)\r\nX-Rampart-Score: 3 accept\r\n')), false);
  assert.equal(isQuarantined(Buffer.from('Authentication-Results: mx; x=1 X-Rampart-Score: 9 quarantine\r\n')), false);
  assert.equal(isQuarantined(Buffer.alloc(0)), false);
});
