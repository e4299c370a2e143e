// The decision model (DESIGN.md): every check answers with a Verdict; the runner
// turns the first non-undefined one into exactly one SMTP reply.

export type Action = 'accept' | 'tempfail' | 'reject' | 'drop'; // drop = reply, then close

/**
 * Who caused a refusal. 'client': the client's own input or behaviour (counted by
 * H5, may feed H6). 'server': our own trouble - a local error, full disk, DNS or
 * store outage, a check that failed or timed out; never counted, never reported as
 * abuse. 'none': not a fault at all (accept; flow control such as H7's 452 4.5.3,
 * where the client is asked to send the rest later).
 */
export type Fault = 'client' | 'server' | 'none';

/** Abuse a decision reports when enforced (H6 automatic deny listens): H5, R4, S4. */
export type AbuseKind = 'failed-commands' | 'bad-auth' | 'large-message';

export interface Decision {
  action: Action;
  /** Basic RFC 5321 reply code, e.g. 550. */
  code: number;
  /** RFC 3463 enhanced status code, e.g. "5.1.1". */
  enhanced: string;
  /** Client-visible text: plain, and revealing no configuration. */
  text: string;
  /** Name of the check (or protocol step) that decided, e.g. "rcpt.localRecipient". */
  check: string;
  /** SPEC feature ID, e.g. "R7"; goes to the log line. */
  feature?: string;
  /** Detail for the log only, never sent to the client. */
  reason?: string;
  /** Structured log-only detail, added to the decision's log line (e.g. octets counted). */
  details?: Readonly<Record<string, string | number | boolean>>;
  /** Who caused it; decides whether H5 counts it (only 'client'). */
  fault: Fault;
  /** Set on decisions that report abuse (H6) when enforced and caused by the client. */
  abuse?: AbuseKind;
}

/** undefined = the check has no opinion. */
export type Verdict = Decision | undefined;

export function accept(check: string, code: number, enhanced: string, text: string): Decision {
  return { action: 'accept', code, enhanced, text, check, fault: 'none' };
}

/** A temporary refusal caused by the client (e.g. a rate limit). For our own trouble use localFailure(). */
export function tempfail(check: string, code: number, enhanced: string, text: string, reason?: string, feature?: string): Decision {
  return { action: 'tempfail', code, enhanced, text, check, reason, feature, fault: 'client' };
}

export function reject(check: string, code: number, enhanced: string, text: string, reason?: string, feature?: string): Decision {
  return { action: 'reject', code, enhanced, text, check, reason, feature, fault: 'client' };
}

export function drop(check: string, code: number, enhanced: string, text: string, reason?: string, feature?: string): Decision {
  return { action: 'drop', code, enhanced, text, check, reason, feature, fault: 'client' };
}

/** A temporary refusal caused by us (local error, full disk, DNS or store outage): never counted against the client. */
export function localFailure(check: string, code: number, enhanced: string, text: string, reason?: string, feature?: string): Decision {
  return { action: 'tempfail', code, enhanced, text, check, reason, feature, fault: 'server' };
}

/** The same decision with another cause (e.g. a drop because our own state is unavailable). */
export function causedBy(d: Decision, fault: Fault): Decision {
  return { ...d, fault };
}

/** The same decision reporting abuse when enforced (H6). */
export function reportsAbuse(d: Decision, kind: AbuseKind): Decision {
  return { ...d, abuse: kind };
}

/**
 * A decision is well-formed when its basic code class agrees with its action and
 * with the class digit of its enhanced code. Returns the problem, or undefined.
 */
export function decisionProblem(d: Decision): string | undefined {
  if (!Number.isInteger(d.code) || d.code < 200 || d.code > 599) return `code ${d.code} is not an SMTP reply code`;
  const cls = Math.floor(d.code / 100);
  if (!/^[245]\.\d{1,3}\.\d{1,3}$/.test(d.enhanced)) return `enhanced code "${d.enhanced}" is malformed`;
  if (Number(d.enhanced[0]) !== cls) return `enhanced code ${d.enhanced} does not match basic code ${d.code}`;
  switch (d.action) {
    case 'accept': return cls === 2 || cls === 3 ? undefined : `accept with code ${d.code}`;
    case 'tempfail': return cls === 4 ? undefined : `tempfail with code ${d.code}`;
    case 'reject': return cls === 5 ? undefined : `reject with code ${d.code}`;
    case 'drop': return cls === 4 || cls === 5 ? undefined : `drop with code ${d.code}`;
  }
}
