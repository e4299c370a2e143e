// Text output of `rampart queue list|show`: one line per message, then one
// indented line per recipient with its channel and state (and the last reply
// when deferred or failed), like postqueue -p.

import type { GlobalHold, ListedMessage, ListedRecipient } from '../spool/queue-ops.js';

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** "45s", "12m", "3h05m", "2d4h". */
export function formatAge(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d${h % 24}h`;
}

export function holdLine(h: GlobalHold): string {
  const parts: string[] = [];
  if (h.flag) parts.push(`by rampart queue hold${h.flag.since ? ` since ${h.flag.since}` : ''}${h.flag.reason ? ` (${h.flag.reason})` : ''}`);
  if (h.config) parts.push('by delivery.hold in the configuration');
  return parts.length ? `delivery: HELD ${parts.join(' and ')}` : 'delivery: running';
}

function nextText(m: ListedMessage): string {
  if (m.held) return 'held';
  if (m.nextAttempt === null) return '-';
  return m.nextAttempt <= Date.now() ? 'now' : new Date(m.nextAttempt).toISOString();
}

/** "<channel>  <state>[ (<last reply>)][ -> <where an alias went>]". */
export function recipientState(r: ListedRecipient): string {
  const detail = r.state === 'deferred' || r.state === 'failed' ? ` (${r.reply})` : '';
  const legs = r.legs ? ` -> ${r.legs.map((l) => `${l.address} ${l.state}`).join(', ')}` : '';
  return `${r.channel}  ${r.state}${detail}${legs}`;
}

function recipientLine(r: ListedRecipient): string {
  return `    ${r.address}  ${recipientState(r)}`;
}

/** The message line and its recipient lines. */
export function messageLines(m: ListedMessage): string[] {
  const auth = m.authUser ? ` auth=${m.authUser}` : '';
  const head = `${m.id}  ${new Date(m.receivedAt).toISOString()}  age ${formatAge(m.ageMs)}  ${m.size}  ${m.clientIp}${auth}  <${m.mailFrom}>  next: ${nextText(m)}`;
  return [head, ...m.recipients.map(recipientLine)];
}
