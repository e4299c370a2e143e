// H3 end to end: a blocked EHLO/HELO name gets 554 5.7.1 and the connection is
// closed; other names go on. Raw socket and python3 smtplib.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { start } from '../protocol/support.js';
import { decisions, python } from './support.js';
import { SmtpClient, codes } from '../helpers/smtp-client.js';

describe('H3 EHLO/HELO blocking', { timeout: 60_000 }, () => {
  test('H3 default list: EHLO ylmf-pc (any case) and HELO ylmf-pc are dropped with 554 5.7.1', async () => {
    const ts = await start();
    try {
      for (const line of ['EHLO ylmf-pc', 'HELO YLMF-PC', 'EHLO Ylmf-Pc']) {
        const c = await SmtpClient.connect(ts.ports.mx);
        assert.equal((await c.reply()).code, 220);
        const r = await c.cmd(line);
        assert.equal(codes(r), '554 5.7.1', `${line}: ${r.text}`);
        await c.waitClosed();
        c.close();
      }
      const c = await SmtpClient.connect(ts.ports.mx);
      await c.reply();
      assert.equal((await c.cmd('EHLO ylmf-pc.example')).code, 250, 'only the whole argument matches');
      c.close();
      const l = decisions(ts, 'helo.heloBlocklist')[0];
      assert.ok(l);
      assert.equal(l.feature, 'H3');
      assert.equal(l.action, 'drop');
      assert.equal(l.code, 554);
    } finally {
      await ts.stop();
    }
  });

  test('H3 configured wildcards; commands pipelined after a blocked EHLO are never answered', async () => {
    const ts = await start({ policy: { heloBlocklist: ['*.dynamic.example', 'bot-*'] } });
    try {
      const c = await SmtpClient.connect(ts.ports.mx);
      await c.reply();
      c.write('EHLO host-192-0-2-1.dynamic.example\r\nMAIL FROM:<u@client.test>\r\nRCPT TO:<alice@example.test>\r\n');
      assert.equal(codes(await c.reply()), '554 5.7.1');
      await c.waitClosed();
      await assert.rejects(c.reply(200), /closed/);
      c.close();
      const ok = await SmtpClient.connect(ts.ports.mx);
      await ok.reply();
      assert.equal((await ok.cmd('EHLO ylmf-pc')).code, 250, 'the default entry is replaced by the configured list');
      ok.close();
    } finally {
      await ts.stop();
    }
  });

  test('H3 python3 smtplib greeting as ylmf-pc is refused with 554 and disconnected', async () => {
    const ts = await start();
    try {
      const r = await python<{ code?: number; text?: string; error?: string }>(
        String.raw`
import json, os, smtplib
a = json.load(open(os.environ['ARGS_FILE']))
out = {}
try:
    s = smtplib.SMTP('127.0.0.1', a['port'], local_hostname='ylmf-pc', timeout=10)
    code, msg = s.ehlo()
    out['code'] = code
    out['text'] = msg.decode()
    try:
        s.noop()
        out['error'] = 'still connected'
    except smtplib.SMTPServerDisconnected:
        out['error'] = 'disconnected'
except Exception as e:
    out['error'] = type(e).__name__ + ': ' + str(e)
print(json.dumps(out))
`,
        { port: ts.ports.mx },
      );
      assert.equal(r.code, 554, JSON.stringify(r));
      assert.match(r.text ?? '', /^5\.7\.1 /);
      assert.equal(r.error, 'disconnected');
    } finally {
      await ts.stop();
    }
  });
});
