// The text `rampart check` prints: the dialogue (">>>" client, "<<<" server) with,
// between a command and its reply, every check the command ran (verdict or "no
// opinion"), guard decisions and marks, then one line with the outcome.

import type { SimulationResult, Step } from './simulate.js';

const STAGE_WIDTH = 8;
const CHECK_WIDTH = 44;

function replyLines(code: number, enhanced: string | undefined, lines: string[]): string[] {
  return lines.map((l, i) => `<<< ${code}${i < lines.length - 1 ? '-' : ' '}${enhanced ? `${enhanced} ` : ''}${l}`);
}

function row(stage: string, check: string, what: string): string {
  return `    ${stage.padEnd(STAGE_WIDTH)} ${check.padEnd(CHECK_WIDTH)} ${what}`;
}

function stepLines(s: Step): string[] {
  switch (s.kind) {
    case 'client':
      return [`>>> ${s.line}`];
    case 'server':
      return replyLines(s.reply.code, s.reply.enhanced, s.reply.lines);
    case 'tls':
      return [`    (TLS established: ${s.protocol})`];
    case 'closed':
      return ['    (the server closed the connection)'];
    case 'check': {
      if (s.verdict === 'no opinion') return [row(s.stage, s.check, 'no opinion')];
      const reply = s.code ? ` ${s.code} ${s.enhanced ?? ''} ${s.text ?? ''}`.trimEnd() : '';
      return [row(s.stage, s.check, `${s.verdict}${reply}${s.warn ? '  [WARN MODE: not enforced]' : ''}`)];
    }
    case 'mark': {
      const e = s.event;
      return [row(e.stage, e.check, `mark${e.score !== undefined ? ` score ${e.score}` : ''}${e.reason ? ` (${e.reason})` : ''}`)];
    }
    case 'decision': {
      const e = s.event;
      const reply = e.code ? ` ${e.code} ${e.enhanced ?? ''}` : '';
      return [row(e.stage, e.check, `${e.action}${reply}${e.warn ? '  [WARN MODE: not enforced]' : ''}${e.reason ? ` (${e.reason})` : ''}`)];
    }
  }
}

/** The one-line outcome: accepted, or which step refused and how. */
export function outcome(r: SimulationResult): string {
  if (r.accepted) return 'result: the message would be accepted (250 at end of data); nothing was queued';
  const refusal = [...r.steps].reverse().find((s) => (s.kind === 'check' && s.verdict !== 'no opinion' && s.verdict !== 'accept' && !s.warn) || (s.kind === 'decision' && !s.event.warn && s.event.action !== 'accept'));
  if (refusal?.kind === 'check') return `result: refused at ${refusal.stage} by ${refusal.check} (${refusal.code} ${refusal.enhanced})`;
  if (refusal?.kind === 'decision') return `result: refused at ${refusal.event.stage} by ${refusal.event.check} (${refusal.event.code ?? '-'} ${refusal.event.enhanced ?? ''})`.trimEnd();
  const last = r.replies.filter((x) => x.code >= 400).at(-1);
  return last ? `result: refused (${last.code} ${last.enhanced ?? ''} ${last.lines[0]})` : 'result: the session ended before end of data';
}

export function reportText(r: SimulationResult, header: string): string {
  return [header, ...r.steps.flatMap(stepLines), outcome(r), ''].join('\n');
}
