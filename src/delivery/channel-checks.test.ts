// Q3 warnings for smarthost AUTH settings that would only fail at delivery time.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig } from '../config/load.js';
import { channelWarnings } from './channel-checks.js';

test('Q3 an unreadable passwordFile and AUTH without TLS are named by key; a readable file is fine', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-pw-'));
  try {
    writeFileSync(join(dir, 'pw'), 'secret\n');
    const snap = validateConfig(
      {
        hostname: 'mx.test',
        listeners: [{ name: 'mx', kind: 'mx', addresses: ['127.0.0.1'], port: 0 }],
        channels: {
          good: { relayHost: '[smarthost.test]:587', auth: { user: 'u', passwordFile: join(dir, 'pw') } },
          missing: { relayHost: '[smarthost.test]:587', auth: { user: 'u', passwordFile: join(dir, 'nope') } },
          clear: { relayHost: '[smarthost.test]:587', tls: 'none', auth: { user: 'u', passwordFile: join(dir, 'pw') } },
        },
      },
      'test',
      dir,
    );
    const w = channelWarnings(snap.channels);
    assert.equal(w.length, 2);
    assert.match(w[0], /^channels\.missing\.auth\.passwordFile: cannot read ".*nope" \(ENOENT\)/);
    assert.match(w[1], /^channels\.clear\.auth: tls is "none"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
