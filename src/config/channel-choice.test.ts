// S3 channel limits and Q4 alternate channels: which channel takes a message,
// or which limit refuses it (table-driven, over channels built by the real validation).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig } from './load.js';
import { anyLimits, blocksOf, chooseChannel, needsLines, type MessageStats } from './channel-choice.js';

const snap = validateConfig(
  {
    hostname: 'mx.test',
    listeners: [{ name: 'mx', kind: 'mx', addresses: ['127.0.0.1'], port: 0 }],
    channels: {
      tcp_out: { alternateChannel: 'tcp_big', alternateBlockLimit: 10000, alternateLineLimit: 5000, alternateRecipientLimit: 50, recipientLimit: 100 },
      tcp_big: { blockLimit: 50000, lineLimit: 100000, alternateChannel: 'tcp_huge', alternateBlockLimit: 1 },
      tcp_huge: {},
      strict: { blockLimit: 10, lineLimit: 100, recipientLimit: 2 },
    },
  },
  'test',
  '/tmp',
);
const ch = snap.channels;

const cases: Array<[string, string, MessageStats, string]> = [
  ['within every limit', 'tcp_out', { blocks: 10000, lines: 5000, recipients: 50 }, 'tcp_out'],
  ['over alternateBlockLimit', 'tcp_out', { blocks: 12000, lines: 10, recipients: 1 }, 'tcp_big alternate: blocks 12000 > 10000'],
  ['over alternateLineLimit', 'tcp_out', { blocks: 1, lines: 5001, recipients: 1 }, 'tcp_big alternate: lines 5001 > 5000'],
  ['over alternateRecipientLimit', 'tcp_out', { recipients: 51 }, 'tcp_big alternate: recipients 51 > 50'],
  ['the alternate\'s own limit refuses (its alternate is not followed)', 'tcp_out', { blocks: 60000 }, 'refuse blocks channel tcp_big: blocks 60000 > 50000 (channels.tcp_big.blockLimit)'],
  ['the alternate\'s recipientLimit is its own (none here)', 'tcp_out', { recipients: 500 }, 'tcp_big alternate: recipients 500 > 50'],
  ['no alternate: blocks refused', 'strict', { blocks: 11 }, 'refuse blocks channel strict: blocks 11 > 10 (channels.strict.blockLimit)'],
  ['no alternate: lines refused', 'strict', { blocks: 1, lines: 101 }, 'refuse lines channel strict: lines 101 > 100 (channels.strict.lineLimit)'],
  ['no alternate: recipients refused', 'strict', { recipients: 3 }, 'refuse recipients channel strict: recipients 3 > 2 (channels.strict.recipientLimit)'],
  ['unknown lines never exceed', 'strict', { blocks: 10, recipients: 2 }, 'strict'],
];

for (const [name, from, stats, want] of cases) {
  test(`S3/Q4 chooseChannel: ${name}`, () => {
    const c = chooseChannel(ch[from], ch, stats);
    const got = c.kind === 'refuse' ? `refuse ${c.limit} ${c.reason}` : `${c.channel.name}${c.reason ? ` ${c.reason}` : ''}`;
    assert.equal(got, want);
  });
}

test('S3 blocks round up; lines are counted only when a limit needs them', () => {
  assert.equal(blocksOf(0, 1024), 0);
  assert.equal(blocksOf(1, 1024), 1);
  assert.equal(blocksOf(1024, 1024), 1);
  assert.equal(blocksOf(1025, 1024), 2);
  assert.equal(needsLines(ch.tcp_out, ch), true);
  assert.equal(needsLines(ch.tcp_huge, ch), false);
  assert.equal(needsLines(ch.smtp, ch), false);
  assert.equal(anyLimits(ch), true);
  assert.equal(anyLimits({ local: ch.local, smtp: ch.smtp, tcp_huge: ch.tcp_huge }), false, 'no channel limits: the intake checks count nothing');
});
