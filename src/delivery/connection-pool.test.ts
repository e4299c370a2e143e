// Q3 connection slots: first come first served, a waiter held back by its
// destination's limit does not hold back others, idle connections are reused
// and evicted to make room, and dead or worn-out ones are not reused.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectionPool, type Lease, type Poolable } from './connection-pool.js';

class Conn implements Poolable {
  alive = true;
  transactions = 1;
  openedAt = Date.now();
  onGone?: () => void;
  quits = 0;
  quit(): void {
    this.quits++;
    this.alive = false;
  }
}

/** A connection whose socket closes only when the test says so. */
class ClosingConn extends Conn {
  private done!: () => void;
  readonly closed = new Promise<void>((r) => (this.done = r));
  close(): void {
    this.done();
  }
}

const reuse = { idleMs: 10_000, maxMessages: 3, maxAgeMs: 60_000 };
const tick = () => new Promise((r) => setImmediate(r));

test('Q3 waiters are served in arrival order; one blocked by its destination does not block another destination', async () => {
  const pool = new ConnectionPool<Conn>(() => reuse);
  const limits = { perDestination: 1, perChannel: 2 };
  const order: string[] = [];
  const take = (key: string, tag: string) => pool.acquire('smtp', key, limits).then((l) => (order.push(tag), l));
  const a1 = await take('a', 'a1');
  const a2 = take('a', 'a2'); // a is at its limit
  const b1 = take('b', 'b1'); // b may go ahead
  const a3 = take('a', 'a3');
  await tick();
  assert.deepEqual(order, ['a1', 'b1']);
  pool.release(a1, undefined, false);
  await tick();
  assert.deepEqual(order, ['a1', 'b1', 'a2'], 'a2 before a3');
  pool.release(await a2, undefined, false);
  await a3;
  assert.deepEqual(order, ['a1', 'b1', 'a2', 'a3']);
  pool.release(await b1, undefined, false);
  pool.close();
});

test('Q2 an idle connection goes to the next delivery to its destination; a full channel evicts an idle one of another destination', async () => {
  const pool = new ConnectionPool<Conn>(() => reuse);
  const limits = { perDestination: 5, perChannel: 1 };
  const first = await pool.acquire('smtp', 'a', limits);
  const conn = new Conn();
  pool.release(first, conn, true);
  const again = await pool.acquire('smtp', 'a', limits);
  assert.equal(again.conn, conn, 'reused');
  pool.release(again, conn, true);
  const other: Lease<Conn> = await pool.acquire('smtp', 'b', limits);
  assert.equal(other.conn, undefined);
  assert.equal(conn.quits, 1, 'the idle connection to a was closed to make room');
  assert.deepEqual(pool.stats('smtp').open, { b: 1 });
  pool.release(other, undefined, false);
  pool.close();
});

test('Q2 not reused: a dead connection, one at maxMessages, one that failed; an idle one that dies frees its slot', async () => {
  const pool = new ConnectionPool<Conn>(() => reuse);
  const limits = { perDestination: 5, perChannel: 5 };
  const worn = new Conn();
  worn.transactions = 3;
  pool.release(await pool.acquire('smtp', 'a', limits), worn, true);
  assert.equal(worn.quits, 1);
  const dead = new Conn();
  dead.alive = false;
  pool.release(await pool.acquire('smtp', 'a', limits), dead, true);
  const failed = new Conn();
  pool.release(await pool.acquire('smtp', 'a', limits), failed, false);
  assert.equal(failed.quits, 1);
  assert.equal(pool.stats('smtp').total, 0);
  const idle = new Conn();
  pool.release(await pool.acquire('smtp', 'a', limits), idle, true);
  assert.equal(pool.stats('smtp').idle, 1);
  idle.alive = false;
  idle.onGone?.();
  assert.deepEqual(pool.stats('smtp'), { total: 0, open: {}, idle: 0, waiting: 0 });
  pool.close();
});

test('Q3 a connection being closed (QUIT sent) keeps its slot until its socket is closed', async () => {
  const pool = new ConnectionPool<ClosingConn>(() => reuse);
  const limits = { perDestination: 1, perChannel: 1 };
  const conn = new ClosingConn();
  const first = await pool.acquire('smtp', 'a', limits);
  pool.release(first, conn, false); // not reusable: QUIT
  let granted = false;
  const next = pool.acquire('smtp', 'a', limits).then((l) => ((granted = true), l));
  await tick();
  assert.equal(conn.quits, 1);
  assert.equal(granted, false, 'no new connection while the old one is still open');
  assert.equal(pool.stats('smtp').total, 1);
  conn.close();
  pool.release(await next, undefined, false);
  assert.equal(granted, true);
  assert.equal(pool.stats('smtp').total, 0);
  pool.close();
});
