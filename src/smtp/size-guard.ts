// Counting what a client streams in DATA/BDAT against the size limits, without
// keeping any of it: S1/S2/S3 (octets and lines: once over, nothing more is stored,
// the message is read to its end and refused with 552 5.3.4) and S4 Large Message
// Safety (past abortOver the connection is broken at once and the message's key
// remembered, so the same offer is refused before its data the next time).
//
// session-data.ts's Intake calls count() for every slice before storing it; the
// receive loops call breakOff() when `tripped` is set.

import { reject, type Decision } from '../core/decision.js';
import { formatAddress } from '../core/address.js';
import { decisionCounts } from '../policy/finalize.js';
import { messageSizeLimit, senderSizeLimit, senderAttributes, lineLimit, type SizeLimit } from '../policy/size-limits.js';
import { lmsSettings, isLmsException, rememberLms, abortOverFor } from '../policy/lms.js';
import { isLan } from '../policy/networks.js';
import type { SmtpSession } from './session.js';
import type { MessageSink } from './submitter.js';

const LF = 10;

/** Longest wait for the LMS key to be stored before the socket is destroyed anyway. */
export const LMS_STORE_WAIT_MS = 250;

export const SIZE_TEXT = 'Message size exceeds fixed maximum message size';
export const LINES_TEXT = 'Message exceeds the maximum number of lines';

export interface GuardPlan {
  size: SizeLimit;
  lineLimit?: number;
  /** Undefined when LMS is off for this message (disabled, or an excepted sender). */
  abortOver?: number;
  /** Checks in warn mode (policy.warn): decided and logged, not enforced. */
  warn: { size: boolean; lines: boolean; lms: boolean };
}

export interface GuardEvent {
  check: string;
  feature: string;
  code: number;
  enhanced: string;
  reason: string;
}

export class SizeGuard {
  /** Octets counted (decoded content, without our Received field). */
  bytes = 0;
  /** LF octets counted (only while a line limit applies). */
  private lfs = 0;
  private lastByte = -1;
  /** The first enforced limit crossed: the message will be refused (552 5.3.4). */
  over: Decision | undefined;
  /** S4: abortOver crossed; the receive loop must break the connection now. */
  tripped = false;
  /** performance.now() when S4 tripped (the log line reports how long breaking the connection took). */
  trippedAt = 0;
  private warned = new Set<string>();

  constructor(readonly plan: GuardPlan, private readonly onWarn: (e: GuardEvent) => void = () => {}) {}

  /** Lines so far: every LF, plus a last line without one. */
  get lines(): number {
    return this.lfs + (this.lastByte >= 0 && this.lastByte !== LF ? 1 : 0);
  }

  /** Counts a slice; true when nothing more may be stored (an enforced limit was crossed, or S4 tripped). */
  count(b: Buffer): boolean {
    if (b.length === 0) return this.stop;
    this.bytes += b.length;
    const p = this.plan;
    if (p.lineLimit !== undefined && !this.over) {
      for (let i = b.indexOf(LF); i >= 0; i = b.indexOf(LF, i + 1)) this.lfs++;
      this.lastByte = b[b.length - 1];
      if (this.lfs > p.lineLimit) this.cross('lines');
    }
    if (this.bytes > p.size.bytes && !this.over) this.cross('size');
    if (p.abortOver !== undefined && this.bytes > p.abortOver && !this.tripped) {
      if (p.warn.lms) this.warnOnce('data.largeMessageSafety', 'S4', 421, '4.3.4', `streamed past abortOver ${p.abortOver}`);
      else {
        this.tripped = true;
        this.trippedAt = performance.now();
      }
    }
    return this.stop;
  }

  private get stop(): boolean {
    return this.over !== undefined || this.tripped;
  }

  private cross(what: 'size' | 'lines'): void {
    const p = this.plan;
    if (what === 'size') {
      const reason = `over ${p.size.bytes} octets (${p.size.source})`;
      if (p.warn.size) return this.warnOnce('eod.maxMessageSize', p.size.feature, 552, '5.3.4', reason);
      this.over = reject('eod.maxMessageSize', 552, '5.3.4', SIZE_TEXT, reason, p.size.feature);
    } else {
      const reason = `over ${p.lineLimit} lines (limits.lineLimit)`;
      if (p.warn.lines) return this.warnOnce('eod.lineLimit', 'S3', 552, '5.3.4', reason);
      this.over = reject('eod.lineLimit', 552, '5.3.4', LINES_TEXT, reason, 'S3');
    }
  }

  private warnOnce(check: string, feature: string, code: number, enhanced: string, reason: string): void {
    if (this.warned.has(check)) return;
    this.warned.add(check);
    this.onWarn({ check, feature, code, enhanced, reason });
  }

  /** At the end of the data: the refusal, if any (a last line without LF is counted now). */
  finish(): Decision | undefined {
    const p = this.plan;
    if (!this.over && p.lineLimit !== undefined && this.lines > p.lineLimit) this.cross('lines');
    return this.over;
  }
}

/** The plan for the current transaction of a session (envelope complete: at DATA or the first BDAT). */
export function guardPlan(s: SmtpSession): GuardPlan {
  const cfg = s.config;
  const env = s.envelope!;
  const limits = s.deps.policyDeps.directory.limits;
  const sender = formatAddress(env.mailFrom);
  const domains = new Set(env.rcpts.map((r) => (r.address.domain === '' ? cfg.hostname : r.address.domain).toLowerCase()));
  const attrs = senderAttributes(limits, sender);
  const size = messageSizeLimit(cfg, s.info.listener, attrs, [...domains].map((domain) => ({ domain, attrs: limits.forDomain(domain) })));
  const lms = lmsSettings(cfg, s.info.listener);
  // Default abortOver: 3 x the sender's limit (a recipient domain's smaller cap does not lower it).
  const abortOver = abortOverFor(lms, senderSizeLimit(cfg, s.info.listener, attrs).bytes);
  const warn = cfg.policy.warn;
  return {
    size,
    lineLimit: lineLimit(cfg),
    abortOver: lms.enabled && !isLmsException(lms.exceptions, sender) ? abortOver : undefined,
    warn: { size: warn.includes('eod.maxMessageSize'), lines: warn.includes('eod.lineLimit'), lms: warn.includes('data.largeMessageSafety') },
  };
}

/** A SizeGuard for the session's current transaction; warn-mode crossings are logged as decisions. */
export function sizeGuard(s: SmtpSession): SizeGuard {
  return new SizeGuard(guardPlan(s), (e) => {
    s.deps.log.info(
      { event: 'decision', session: s.info.id, client: s.info.remoteAddress, stage: 'data', check: e.check, feature: e.feature, action: e.code >= 500 ? 'reject' : 'drop', code: e.code, enhanced: e.enhanced, reason: e.reason, warn: true },
      'decision (warn mode: not enforced)',
    );
    decisionCounts.set(`${e.check} warn`, (decisionCounts.get(`${e.check} warn`) ?? 0) + 1);
  });
}

/** Logs a size refusal decision (one line, naming check and feature) and returns it. */
export function logSizeRefusal(s: SmtpSession, d: Decision, bytes: number): Decision {
  s.deps.log.info(
    { event: 'decision', session: s.info.id, client: s.info.remoteAddress, stage: 'eod', check: d.check, feature: d.feature, action: d.action, code: d.code, enhanced: d.enhanced, reason: d.reason, bytes },
    'decision',
  );
  decisionCounts.set(`${d.check} ${d.action}`, (decisionCounts.get(`${d.check} ${d.action}`) ?? 0) + 1);
  return d;
}

/**
 * S4: the message went past abortOver. Reading stops now; the key is stored (bounded
 * wait, so a retry on another node is refused), the event logged and reported, the
 * message discarded, and the socket destroyed (a best-effort 421 first).
 */
export async function breakOff(s: SmtpSession, sink: MessageSink, guard: SizeGuard): Promise<void> {
  s.socket.pause(); // not one more byte is read
  const env = s.envelope;
  const lms = lmsSettings(s.config, s.info.listener);
  const key = env?.lms?.key();
  const deps = s.deps.policyDeps;
  const stored = key
    ? rememberLms(deps.store, key, { at: Date.now(), ip: s.info.remoteAddress, bytes: guard.bytes, session: s.info.id }, lms.keyTtlMs).then(
        () => true,
        (e: Error) => {
          s.deps.log.error({ session: s.info.id, check: 'data.largeMessageSafety', err: e.message }, 'S4: cannot store the key');
          return false;
        },
      )
    : Promise.resolve(false);
  let timer: NodeJS.Timeout | undefined;
  const ok = await Promise.race([stored, new Promise<false>((r) => (timer = setTimeout(() => r(false), LMS_STORE_WAIT_MS)))]);
  clearTimeout(timer);
  s.reply(421, '4.3.4', `${s.config.hostname} Message too large, closing connection`);
  s.resetTransaction();
  s.close('large message safety');
  s.socket.destroy();
  const reactMs = Math.round((performance.now() - guard.trippedAt) * 100) / 100;
  s.deps.log.info(
    {
      event: 'decision',
      session: s.info.id,
      client: s.info.remoteAddress,
      stage: 'data',
      check: 'data.largeMessageSafety',
      feature: 'S4',
      action: 'drop',
      code: 421,
      enhanced: '4.3.4',
      reason: `streamed past abortOver ${guard.plan.abortOver} octets; connection broken${ok ? '' : ' (key not stored in time)'}`,
      from: env ? formatAddress(env.mailFrom) : undefined,
      bytes: guard.bytes,
      key: key?.slice(4, 20),
      reactMs,
    },
    'decision',
  );
  decisionCounts.set('data.largeMessageSafety drop', (decisionCounts.get('data.largeMessageSafety drop') ?? 0) + 1);
  deps.abuse.report({ ip: s.info.remoteAddress, kind: 'large-message', feature: 'S4', trusted: s.info.authUser !== undefined || isLan(s.info.remoteAddress, s.config), detail: `${guard.bytes} octets past abortOver ${guard.plan.abortOver}` });
  await sink.abort().catch(() => {});
}
