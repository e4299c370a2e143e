// SocketInput over a real loopback socket: input that arrives in several chunks
// while nothing is reading is queued (not joined) and read back in order, lines
// spanning chunks included; a too-long line is skipped up to its LF across chunks.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { SocketInput } from './input.js';

/** A connected pair on loopback: the server side wrapped in a SocketInput, the client side to write to. */
async function pair(): Promise<{ input: SocketInput; client: Socket; done: () => void }> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const accepted = once(server, 'connection');
  const client = connect(port, '127.0.0.1');
  const [sock] = (await accepted) as [Socket];
  const input = new SocketInput(1 << 20);
  input.attach(sock);
  return {
    input,
    client,
    done: () => {
      client.destroy();
      sock.destroy();
      server.close();
    },
  };
}

/** Writes the pieces with pauses, so that each arrives as a chunk of its own. */
async function trickle(client: Socket, pieces: string[]): Promise<void> {
  for (const p of pieces) {
    client.write(p);
    await sleep(30);
  }
}

test('queued chunks are read back in order: lines spanning chunks, then DATA bytes', async () => {
  const { input, client, done } = await pair();
  try {
    await trickle(client, ['EHLO a\r\nMAIL FR', 'OM:<x@y>\r\nRC', 'PT TO:<z@y>\r\nbody-1', 'body-2\r\n']);
    assert.equal(input.buffered, 'EHLO a\r\nMAIL FROM:<x@y>\r\nRCPT TO:<z@y>\r\nbody-1body-2\r\n'.length);
    const lines: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await input.readLine(512, 1000);
      assert.equal(r.kind, 'line');
      if (r.kind === 'line') lines.push(r.line.toString('latin1'));
    }
    assert.deepEqual(lines, ['EHLO a', 'MAIL FROM:<x@y>', 'RCPT TO:<z@y>']);
    let rest = '';
    while (input.buffered) {
      const c = await input.readChunk(1000);
      assert.equal(c.kind, 'chunk');
      if (c.kind === 'chunk') rest += c.chunk.toString('latin1');
    }
    assert.equal(rest, 'body-1body-2\r\n');
  } finally {
    done();
  }
});

test('a too-long line is skipped up to its LF across queued chunks; the next line is intact', async () => {
  const { input, client, done } = await pair();
  try {
    await trickle(client, ['x'.repeat(300), 'y'.repeat(300), 'z\r\nNOOP\r\n']);
    assert.equal((await input.readLine(512, 1000)).kind, 'too-long');
    const r = await input.readLine(512, 1000);
    assert.equal(r.kind === 'line' && r.line.toString('latin1'), 'NOOP');
    assert.equal(input.buffered, 0);
  } finally {
    done();
  }
});
