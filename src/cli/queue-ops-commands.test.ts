// `rampart queue hold|release ID`, `retry`, `bounce`, `delete`, `requeue` (Q6) with no
// server running: they leave flag files and requests in the spool (a running
// server's answers are tested in test/e2e/queue-tools.test.ts).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, type CliResult } from '../../test/helpers/cli.js';
import { Spool } from '../spool/spool.js';
import type { SpoolEnvelope } from '../core/submission.js';

let tmp: string;
let cfg: string;
let spoolRoot: string;
const ids: Record<string, string> = {};

const run = (args: string[]): Promise<CliResult> => runCli(args, { config: cfg });

async function ok(...args: string[]): Promise<string> {
  const r = await run(args);
  assert.equal(r.code, 0, `rampart ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'rampart-cli-queue-ops-'));
  cfg = join(tmp, 'rampart.yaml');
  writeFileSync(cfg, 'dataDir: ./data\nlisteners:\n  - { name: mx, kind: mx, addresses: ["127.0.0.1"], port: 25250 }\n');
  spoolRoot = join(tmp, 'data', 'spool');
  const spool = new Spool(spoolRoot);
  await spool.open();
  for (const key of ['good', 'bounce']) {
    const env: SpoolEnvelope = { mailFrom: `${key}@good.example`, rcpts: [{ address: 'alice@example.test' }], params: { smtputf8: false }, client: { ip: '192.0.2.1', listener: 'mx' }, sessionId: key, receivedAt: Date.parse('2024-05-01T10:00:00Z') };
    const sink = await spool.begin(env);
    await sink.write(Buffer.from(`Subject: ${key}\r\n\r\nbody\r\n`));
    await sink.commit();
    ids[key] = sink.id;
  }
  await spool.close();
});
after(() => rmSync(tmp, { recursive: true, force: true }));

test('Q6 queue hold/release ID, retry, bounce, delete, requeue with no server running: flag files and waiting requests', async () => {
  const control = () => (existsSync(join(spoolRoot, 'control')) ? readdirSync(join(spoolRoot, 'control')).filter((f) => f.endsWith('.json')) : []);
  assert.equal(await ok('queue', 'hold', ids.good), `held: ${ids.good} (no new attempt starts, within 1 second on a running server)\n`);
  assert.ok(existsSync(join(spoolRoot, 'held', ids.good)));
  assert.match((await ok('queue', 'list')).split('\n').find((l) => l.startsWith(ids.good))!, /  next: held$/);
  assert.equal(await ok('queue', 'hold', ids.good.toLowerCase()), `already held: ${ids.good}\n`);
  assert.deepEqual(JSON.parse(await ok('queue', 'release', ids.good, '--json')), { released: [ids.good], notHeld: [] });
  assert.equal(await ok('queue', 'release', ids.good), `not held: ${ids.good}\n`);
  const bad = await run(['queue', 'hold', 'nonsense']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /"nonsense" is not a queue id/);
  const unknown = await run(['queue', 'hold', '0000000000000ABCDEF']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /not in the queue: 0000000000000ABCDEF/);

  const retry = await ok('queue', 'retry', ids.good, '--wait', '0');
  const req = /spool\/control\/(\S+)\.json: no running server answered within 0 s; it takes effect when the server starts/.exec(retry);
  assert.ok(req, retry);
  assert.equal(control().length, 1);
  assert.ok(control().includes(`${req[1]}.json`));
  const left = JSON.parse(readFileSync(join(spoolRoot, 'control', `${req[1]}.json`), 'utf8'));
  assert.deepEqual([left.op, left.ids, left.reply], ['retry', [ids.good], true]);
  assert.equal((await run(['queue', 'retry'])).code, 2, 'ids or --all');
  assert.equal((await run(['queue', 'retry', '--all', ids.good])).code, 2, 'not both');
  const b = JSON.parse(await ok('queue', 'bounce', ids.bounce, '--wait', '0', '--json'));
  assert.equal(b.answered, false);

  assert.deepEqual(JSON.parse(await ok('queue', 'delete', ids.bounce, '--json')), { deleted: [ids.bounce], missing: [] });
  assert.equal(existsSync(join(spoolRoot, 'queue', ids.bounce)), false);
  assert.equal(control().length, 3, 'retry, bounce and the forget that tells a running scheduler');
  const again = await run(['queue', 'delete', ids.bounce]);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /not in the queue/);

  mkdirSync(join(spoolRoot, 'failed'), { recursive: true });
  renameSync(join(spoolRoot, 'queue', ids.good), join(spoolRoot, 'failed', ids.good));
  assert.match(await ok('queue', 'requeue', '--all', '--wait', '0'), new RegExp(`^requeued: ${ids.good}\nno running server answered within 0 s`));
  assert.ok(existsSync(join(spoolRoot, 'queue', ids.good)));
  assert.equal(await ok('queue', 'requeue', '--all', '--wait', '0'), 'nothing to requeue\n');
  assert.match((await run(['queue', 'requeue', ids.bounce, '--wait', '0'])).stderr, /not in spool\/failed\//);
});
