// S4 Large Message Safety (Mailtraq): settings per listener, sender exceptions with
// wildcards, and the key that identifies a broken-off message: a hash of the
// arguments the client gave to HELO/EHLO, MAIL and every RCPT (in order), as in
// Mailtraq, plus its IP address when limits.largeMessageSafety.keyParts says so.
// Keys live in the SharedStore (embedded or Redis), so every node behind one MX
// name refuses the re-offer.

import { createHash, type Hash } from 'node:crypto';
import type { Listener, Snapshot } from '../config/load.js';
import type { SharedStore } from '../state/store.js';
import type { LMS_KEY_PARTS } from '../config/size-limits-schema.js';

export type LmsKeyPart = (typeof LMS_KEY_PARTS)[number];

/** The Mailtraq key: HELO, MAIL and RCPT arguments (the default of keyParts). */
export const DEFAULT_LMS_KEY_PARTS: readonly LmsKeyPart[] = ['helo', 'mail', 'rcpt'];

export interface LmsSettings {
  enabled: boolean;
  /** Octets past which the connection is broken (for a message under the listener's or global size limit). */
  abortOver: number;
  /** abortOver as configured (listener, else global); undefined = 3 x the size limit that applies. */
  configuredAbortOver?: number;
  keyTtlMs: number;
  exceptions: readonly string[];
}

/**
 * The listener's override over limits.largeMessageSafety. Without a configured abortOver
 * the threshold is 3 x the size limit: the listener's (or global) maxMessageSize here,
 * 3 x the sender's applicable limit (directory values included) during DATA (abortOverFor).
 */
export function lmsSettings(config: Snapshot, listener: Listener): LmsSettings {
  const g = config.limits.largeMessageSafety;
  const l = listener.largeMessageSafety;
  const size = listener.maxMessageSize ?? config.limits.maxMessageSize;
  return {
    enabled: l?.enabled ?? g.enabled,
    abortOver: l?.abortOver ?? g.abortOver ?? 3 * size,
    configuredAbortOver: l?.abortOver ?? g.abortOver,
    keyTtlMs: g.keyTtlMs,
    exceptions: g.exceptions,
  };
}

const compiled = new Map<string, RegExp>();

/** `*` = any run of characters (also none), `?` = exactly one; everything else literal; case-insensitive. */
export function patternToRegExp(pattern: string): RegExp {
  let re = compiled.get(pattern);
  if (!re) {
    const body = pattern.replace(/[.+^${}()|[\]\\*?]/g, (c) => (c === '*' ? '.*' : c === '?' ? '.' : `\\${c}`));
    re = new RegExp(`^${body}$`, 'is');
    if (compiled.size > 1000) compiled.clear(); // reloads may bring new lists; never grow without bound
    compiled.set(pattern, re);
  }
  return re;
}

/** True when the sender matches an exception pattern. The null sender ("") never does. */
export function isLmsException(exceptions: readonly string[], sender: string): boolean {
  if (!sender) return false;
  return exceptions.some((p) => patternToRegExp(p).test(sender));
}

/** What a key can be made of: the client's IP and its HELO, MAIL and RCPT arguments as given. */
export interface LmsKeyParts {
  ip: string;
  helo: string;
  mail: string;
  rcpts: readonly string[];
}

/**
 * Builds the key while the transaction goes on: started at MAIL (the chosen parts of
 * IP, HELO, MAIL argument), fed every RCPT argument, read at DATA. Memory stays
 * constant however many RCPT commands a client sends (a running SHA-256, each part
 * named and length-prefixed, so keys of different part lists never collide).
 */
export class LmsKeyBuilder {
  private readonly h: Hash;
  private readonly withRcpts: boolean;

  constructor(ip: string, helo: string, mail: string, parts: readonly LmsKeyPart[] = DEFAULT_LMS_KEY_PARTS) {
    this.h = createHash('sha256');
    this.withRcpts = parts.includes('rcpt');
    this.part('rampart-lms-2').part(parts.join(','));
    if (parts.includes('ip')) this.part(ip);
    if (parts.includes('helo')) this.part(helo);
    if (parts.includes('mail')) this.part(mail);
  }

  private part(s: string): this {
    this.h.update(`${Buffer.byteLength(s)}:${s};`);
    return this;
  }

  /** Adds one RCPT argument, in the order given. */
  rcpt(arg: string): void {
    if (this.withRcpts) this.part(arg);
  }

  /** Store key for the arguments so far: "lms:" + SHA-256 hex. */
  key(): string {
    return `lms:${this.h.copy().digest('hex')}`;
  }
}

/** Store key for a message from its parts (same value as LmsKeyBuilder). */
export function lmsKey(p: LmsKeyParts, parts: readonly LmsKeyPart[] = DEFAULT_LMS_KEY_PARTS): string {
  const b = new LmsKeyBuilder(p.ip, p.helo, p.mail, parts);
  for (const r of p.rcpts) b.rcpt(r);
  return b.key();
}

/** What is kept under a key (for operators; the refusal needs only its presence). */
export interface LmsRecord {
  at: number;
  ip: string;
  bytes: number;
  session: string;
}

/** Remembers a broken-off message for `ttlMs`. */
export function rememberLms(store: SharedStore, key: string, rec: LmsRecord, ttlMs: number): Promise<void> {
  return store.set(key, JSON.stringify(rec), ttlMs);
}

/** The record of a remembered key, if it is still live. */
export async function recalledLms(store: SharedStore, key: string): Promise<LmsRecord | undefined> {
  const v = await store.get(key);
  if (v === undefined) return undefined;
  try {
    return JSON.parse(v) as LmsRecord;
  } catch {
    return { at: 0, ip: '', bytes: 0, session: '' };
  }
}

/** The abort threshold for a sender whose applicable size limit is `limitBytes`. */
export function abortOverFor(lms: LmsSettings, limitBytes: number): number {
  return lms.configuredAbortOver ?? 3 * limitBytes;
}
