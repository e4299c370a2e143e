// Builds CheckContexts for the unit tests of the hygiene checks (H1-H9): a real
// config snapshot, a real in-memory directory, a session from a chosen client
// address, an envelope from address strings, and a mark sink that records.

import { Writable } from 'node:stream';
import { validateConfig, type Snapshot } from '../config/load.js';
import { embeddedDefault } from '../config/embedded-default.js';
import { parsePath, type Address } from '../core/address.js';
import type { Envelope, SessionInfo } from '../core/envelope.js';
import type { Mark } from '../core/mark.js';
import type { Directory } from '../directory/store.js';
import { createLogger } from '../log/logger.js';
import { testDeps } from './test-deps.js';
import type { CheckContext, PolicyDeps, Stage } from './types.js';

export const silentLog = createLogger('silent', new Writable({ write: (_c, _e, cb) => cb() }));

/** A validated snapshot: the embedded default with `over` merged one level deep. */
export function configWith(over: Record<string, Record<string, unknown> | unknown> = {}): Snapshot {
  const base = embeddedDefault() as Record<string, unknown>;
  const merged: Record<string, unknown> = { ...base, hostname: 'mx.local.example' };
  for (const [k, v] of Object.entries(over)) {
    const b = merged[k];
    merged[k] = v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' ? { ...(b as object), ...(v as object) } : v;
  }
  return validateConfig(merged, 'test', '/tmp');
}

export function addr(path: string): Address | null {
  const r = parsePath(path, { utf8: true, allowNull: true, allowPostmaster: true });
  if (!r.ok) throw new Error(`${path}: ${r.error}`);
  return r.address;
}

export interface CtxOptions {
  stage: Stage;
  config: Snapshot;
  directory: Directory;
  deps?: Partial<PolicyDeps>;
  ip?: string;
  helo?: string;
  authUser?: string;
  from?: string | null; // a path like "<a@b>" or "<>"; undefined = no transaction
  rcpts?: string[];
  presented?: number;
  rcpt?: string;
  session?: SessionInfo;
}

export function makeCtx(o: CtxOptions): { ctx: CheckContext; marks: Mark[] } {
  const marks: Mark[] = [];
  const session: SessionInfo = o.session ?? {
    id: 'test',
    listener: o.config.listeners[0],
    remoteAddress: o.ip ?? '203.0.113.9',
    remotePort: 40000,
    localAddress: '192.0.2.25',
    localPort: 25,
    esmtp: true,
    helo: o.helo ?? 'client.example',
    authUser: o.authUser,
  };
  const envelope: Envelope | undefined =
    o.from === undefined
      ? undefined
      : {
          mailFrom: addr(o.from ?? '<>'),
          mailParams: { smtputf8: true } as Envelope['mailParams'],
          rcpts: (o.rcpts ?? []).map((r) => ({ address: addr(r)!, params: {} as Envelope['rcpts'][number]['params'] })),
          presented: o.presented,
        };
  const ctx: CheckContext = {
    stage: o.stage,
    config: o.config,
    session,
    envelope,
    rcpt: o.rcpt ? addr(o.rcpt)! : undefined,
    deps: testDeps(o.directory, silentLog, o.deps),
    mark: (m) => marks.push(m),
  };
  return { ctx, marks };
}
