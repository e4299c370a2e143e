// Which decisions an operator asks for, in the live stream and in the "why was
// this refused?" search: every given field must match (AND). IP: an address or a
// CIDR block; sender and recipient: case-insensitive globs ("*@spam.example",
// "<>" for the null sender); check: a name or a glob ("rcpt.*").

import { FilterError, globToRegExp, ipMatcher } from '../spool/queue-filter.js';
import type { DecisionEvent } from '../policy/decision-events.js';

export interface DecisionFilterOptions {
  ip?: string;
  sender?: string;
  rcpt?: string;
  queueId?: string;
  session?: string;
  check?: string;
  action?: string;
}

export type DecisionFilter = (e: DecisionEvent) => boolean;

/** "<a@b>" -> "a@b"; "<>" -> "". */
function stripBrackets(s: string): string {
  const t = s.trim();
  return t.startsWith('<') && t.endsWith('>') ? t.slice(1, -1) : t;
}

/** Decision events carry addresses as "<a@b>" (formatAddress); compare without brackets. */
function addressTest(glob: string): (v: string | undefined) => boolean {
  const g = stripBrackets(glob);
  const re = globToRegExp(g);
  return (v) => v !== undefined && (g === '' ? stripBrackets(v) === '' : re.test(stripBrackets(v)));
}

/** Compiles the options into one predicate; throws FilterError naming a bad field. */
export function compileDecisionFilter(o: DecisionFilterOptions): DecisionFilter {
  const tests: DecisionFilter[] = [];
  if (o.ip) {
    const m = ipMatcher(o.ip, 'ip');
    tests.push((e) => m(e.client));
  }
  if (o.sender !== undefined && o.sender !== '') {
    const t = addressTest(o.sender);
    tests.push((e) => t(e.from));
  }
  if (o.rcpt) {
    const t = addressTest(o.rcpt);
    tests.push((e) => t(e.rcpt));
  }
  if (o.queueId) {
    const q = o.queueId.trim().toUpperCase();
    tests.push((e) => e.queueId === q);
  }
  if (o.session) {
    const s = o.session.trim();
    tests.push((e) => e.session === s);
  }
  if (o.check) {
    const re = globToRegExp(o.check.trim());
    tests.push((e) => re.test(e.check));
  }
  if (o.action) {
    const a = o.action.trim();
    if (a === 'warn') tests.push((e) => e.warn === true);
    else if (a === 'refused') tests.push((e) => !e.warn && (e.action === 'reject' || e.action === 'tempfail' || e.action === 'drop'));
    else tests.push((e) => e.action === a);
  }
  return (e) => tests.every((t) => t(e));
}

export { FilterError };
