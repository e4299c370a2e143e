// The registry of every check and guard: each name a decision can carry, with
// its stage, the config keys that set it and its SPEC feature, in the order it
// runs within its stage. Checks run in the policy runner (policy/checks.ts
// holds their code in the same order); guards are enforced at a fixed point of
// the protocol (listener, session, message intake) but decide through the same
// finalize(). `policy.warn` is validated against this list at config load, and
// `rampart config check --checks` prints it. Data only: config/ imports it.

import type { DecisionStage } from './stages.js';

export interface CheckInfo {
  /** "<stage>.<settingName>": the name in logs, metrics and policy.warn. */
  name: string;
  stage: DecisionStage;
  /** SPEC feature ID. */
  feature: string;
  /** Config keys that set it ("listeners[]." for per-listener keys, "channels{}." for per-channel keys). */
  config: readonly string[];
  /** check: runs in the policy runner; guard: enforced by the protocol engine, decided by finalize(). */
  kind: 'check' | 'guard';
  /** When set, the check cannot run in warn mode, for this reason. */
  noWarn?: string;
  /** One line for `config check --checks`. */
  summary: string;
}

export const STAGE_ORDER: readonly DecisionStage[] = ['connect', 'helo', 'auth', 'mail', 'rcpt', 'data', 'eod', 'session'];

const BUILTIN: readonly CheckInfo[] = [
  // connect: PROXY header, then connection limits (listener), then the session's connect stage, then the greeting wait
  { name: 'connect.proxyProtocol', stage: 'connect', feature: 'R1', config: ['listeners[].proxyProtocol'], kind: 'guard', noWarn: 'a connection without a valid PROXY header cannot be served', summary: 'a trusted proxy must send a valid PROXY header; else the connection is closed' },
  { name: 'connect.maxConnections', stage: 'connect', feature: 'P4', config: ['limits.maxConnections', 'limits.maxConnectionsPerIp'], kind: 'guard', summary: 'concurrent connections overall and per client IP: 421 4.7.0' },
  { name: 'connect.accessList', stage: 'connect', feature: 'R2', config: ['access.refreshMs'], kind: 'check', summary: 'allow/deny lists not loaded from the store: 421 4.3.0' },
  { name: 'connect.denyList', stage: 'connect', feature: 'R2', config: ['access.autoDeny'], kind: 'check', summary: 'client on the deny list (manual or H6 automatic): 554 5.7.1' },
  { name: 'connect.connectPolicy', stage: 'connect', feature: 'R2', config: ['access.connectPolicy'], kind: 'check', summary: 'allowListOnly: a client not on the allow list or in the LAN: 554 5.7.1' },
  { name: 'connect.connectionRate', stage: 'connect', feature: 'P4', config: ['limits.maxConnectionRatePerIp', 'limits.connectionRateWindowMs'], kind: 'check', summary: 'new connections per client IP per window (shared store): 421 4.7.0' },
  { name: 'connect.dnsbl', stage: 'connect', feature: 'A6', config: ['dnsbl.zones', 'dnsbl.threshold', 'dnsbl.refuseAt', 'dnsbl.minTtlSeconds', 'dnsbl.maxTtlSeconds'], kind: 'check', summary: 'DNS block/allow lists, asked in parallel once per connection; with refuseAt connect: score at the threshold 554 5.7.1 and close; an unanswered list that could decide: 421 4.7.1 and close (our fault)' },
  { name: 'connect.pregreet', stage: 'connect', feature: 'P4', config: ['listeners[].pregreetWaitMs', 'limits.pregreetPassTtlMs'], kind: 'guard', summary: 'a client that talks before the greeting: 554 5.5.1 and close' },
  { name: 'helo.heloBlocklist', stage: 'helo', feature: 'H3', config: ['policy.heloBlocklist'], kind: 'check', summary: 'EHLO/HELO argument on the blocklist: 554 5.7.1 and close' },
  { name: 'auth.disconnectBadAuthLimit', stage: 'auth', feature: 'R4', config: ['auth.disconnectBadAuthLimit'], kind: 'check', summary: 'failed AUTH attempts in one session: 421 4.7.0 and close' },
  { name: 'auth.maxFailedAuthPerIp', stage: 'auth', feature: 'R4', config: ['auth.maxFailedAuthPerIp', 'auth.failedAuthWindowMs'], kind: 'check', summary: 'failed AUTH attempts per client IP over all sessions: 421 4.7.0 and close' },
  { name: 'mail.spoolFreeSpace', stage: 'mail', feature: 'P5', config: ['spool.minFreeBytes'], kind: 'check', summary: 'spool file system below its reserve (or 2 x SIZE=): 452 4.3.1' },
  { name: 'mail.maxMessageSize', stage: 'mail', feature: 'S1', config: ['limits.maxMessageSize', 'listeners[].maxMessageSize', 'listeners[].sourceBlockLimit', 'limits.blockLimit'], kind: 'check', summary: 'SIZE= over the sender\'s limit: 552 5.3.4' },
  { name: 'mail.authenticatedSenderMustUsePostoffice', stage: 'mail', feature: 'R5', config: ['relay.authenticatedSenderMustUsePostoffice'], kind: 'check', summary: 'authenticated sender outside its postoffice: 553 5.7.1' },
  { name: 'mail.spoofing', stage: 'mail', feature: 'R6', config: ['relay.spoofing', 'relay.privilegedNetworks'], kind: 'check', summary: 'local-domain sender address not allowed for this client: 553 5.7.1' },
  { name: 'mail.ptr', stage: 'mail', feature: 'H2', config: ['policy.ptr', 'policy.ptrMarkScore'], kind: 'check', summary: 'client IP without a PTR record: 550 5.7.25, or a mark' },
  { name: 'mail.senderDomainResolvable', stage: 'mail', feature: 'H1', config: ['policy.senderDomainResolvable'], kind: 'check', summary: 'sender domain neither local nor in DNS: 550 5.1.8 (DNS failure 451 4.4.3)' },
  { name: 'mail.spf', stage: 'mail', feature: 'A1', config: ['senderAuth.spf.mode', 'senderAuth.spf.helo', 'dns.cache.maxEntries'], kind: 'check', summary: 'SPF of MAIL FROM (and HELO) for unauthenticated clients outside the LAN; mode reject: fail 550 5.7.23, temperror 451 4.7.24 (our fault); mode mark: scored' },
  { name: 'rcpt.relay', stage: 'rcpt', feature: 'R1', config: ['relay.lanNetworks', 'relay.domainLiterals'], kind: 'check', noWarn: 'it would make an open relay', summary: 'recipient outside the local domains from a client that may not relay: 554 5.7.1' },
  { name: 'rcpt.maxRecipients', stage: 'rcpt', feature: 'H7', config: ['limits.maxRecipients'], kind: 'check', summary: 'recipients past the per-message limit: 452 4.5.3' },
  { name: 'rcpt.dnsbl', stage: 'rcpt', feature: 'A6', config: ['dnsbl.threshold', 'dnsbl.refuseAt'], kind: 'check', summary: 'with refuseAt rcpt (default): DNSBL score at the threshold 554 5.7.1 per recipient; an unanswered list that could decide: 451 4.7.1 (our fault)' },
  { name: 'rcpt.localRecipient', stage: 'rcpt', feature: 'R7', config: ['relay.disableAllCatchalls'], kind: 'check', summary: 'no such local mailbox, alias or catchall: 550 5.1.1; a stored mailbox Maildir cannot hold: 550 5.2.1 (not the client\'s fault)' },
  { name: 'rcpt.mailboxQuota', stage: 'rcpt', feature: 'Q5', config: ['dataDir'], kind: 'check', summary: 'a local mailbox already over its quota (rampart user quota), or that SIZE= would push over: mode hold 452 4.2.2, mode return 552 5.2.2; usage unreadable 451 4.3.0 (our fault)' },
  { name: 'rcpt.maxMessageSize', stage: 'rcpt', feature: 'S2', config: ['limits.maxMessageSize'], kind: 'check', summary: 'SIZE= over the recipient domain\'s limit (directory): 552 5.3.4' },
  { name: 'rcpt.channelRecipientLimit', stage: 'rcpt', feature: 'S3', config: ['channels{}.recipientLimit', 'channels{}.alternateChannel', 'channels{}.alternateRecipientLimit'], kind: 'check', summary: 'recipients of one message on the recipient\'s channel past its recipientLimit, with no alternate channel taking them: 452 4.5.3' },
  { name: 'rcpt.greylist', stage: 'rcpt', feature: 'A9', config: ['greylist.enabled', 'greylist.delayMs', 'greylist.retryWindowMs', 'greylist.passTtlMs', 'greylist.autoAllowAfter'], kind: 'check', summary: 'greylisting (off by default): a new (network, sender, recipient) triplet 451 4.7.1 until greylist.delayMs has passed; LAN, authenticated and allow-listed clients exempt' },
  { name: 'rcpt.recipientsPerHour', stage: 'rcpt', feature: 'H9', config: ['limits.recipientsPerHour'], kind: 'check', summary: 'recipients per sliding hour per sender: 450 4.7.1' },
  { name: 'data.spoolFreeSpace', stage: 'data', feature: 'P5', config: ['spool.minFreeBytes'], kind: 'check', summary: 'spool file system below its reserve: 452 4.3.1 before the body is sent' },
  { name: 'data.recipientCutoff', stage: 'data', feature: 'H8', config: ['limits.recipientCutoff'], kind: 'check', summary: 'more recipients presented than the cutoff: 550 5.5.3' },
  { name: 'data.largeMessageSafety', stage: 'data', feature: 'S4', config: ['limits.largeMessageSafety', 'listeners[].largeMessageSafety'], kind: 'check', summary: 'past abortOver: 421 4.3.4 and the connection broken; the same offer again: 554 5.3.4' },
  { name: 'data.spool', stage: 'data', feature: 'P5', config: ['dataDir'], kind: 'guard', noWarn: 'a message that cannot be stored cannot be accepted', summary: 'the spool file cannot be opened: 451 4.3.0' },
  { name: 'eod.maxMessageSize', stage: 'eod', feature: 'S1', config: ['limits.maxMessageSize', 'listeners[].maxMessageSize', 'listeners[].sourceBlockLimit', 'limits.blockLimit'], kind: 'guard', summary: 'message over the size limit: read to its end, then 552 5.3.4' },
  { name: 'eod.lineLimit', stage: 'eod', feature: 'S3', config: ['limits.lineLimit'], kind: 'guard', summary: 'message over the line limit: 552 5.3.4' },
  { name: 'eod.bareLineEndings', stage: 'eod', feature: 'P3', config: ['smtp.bareLineEndings'], kind: 'guard', summary: 'bare CR or LF in the message: 554 5.6.0' },
  { name: 'eod.maxHeaderLines', stage: 'eod', feature: 'S5', config: ['limits.maxHeaderLines'], kind: 'guard', summary: 'too many header lines: 552 5.6.0' },
  { name: 'eod.longLines', stage: 'eod', feature: 'S7', config: ['listeners[].longLines'], kind: 'guard', summary: 'longLines: reject and a line over 1000 octets: 554 5.6.0' },
  { name: 'eod.channelLimits', stage: 'eod', feature: 'S3', config: ['channels{}.blockLimit', 'channels{}.lineLimit', 'channels{}.alternateChannel', 'channels{}.alternateBlockLimit', 'channels{}.alternateLineLimit', 'limits.blockSize'], kind: 'check', summary: 'message over blockLimit or lineLimit of a recipient\'s channel, with no alternate channel taking it: 552 5.3.4' },
  { name: 'eod.dkim', stage: 'eod', feature: 'A2', config: ['senderAuth.dkim.verify', 'senderAuth.dkim.minRsaBits', 'senderAuth.dkim.maxSignatures', 'senderAuth.arcTrustedSealers', 'senderAuth.authservId', 'dns.cache.maxEntries'], kind: 'check', summary: 'one streaming pass: every DKIM signature, the ARC chain (A4), the DMARC evaluation (A3); adds the Authentication-Results field (A5); never refuses' },
  { name: 'eod.dmarc', stage: 'eod', feature: 'A3', config: ['senderAuth.dmarc.enabled', 'senderAuth.dmarc.onReject', 'senderAuth.dmarc.onQuarantine', 'senderAuth.dmarc.onTemperror', 'senderAuth.dmarc.domains'], kind: 'check', summary: 'DMARC fail of the From domain: p=reject 550 5.7.1, p=quarantine accepted and marked, none marked; temperror 451 4.7.1 (our fault)' },
  { name: 'eod.score', stage: 'eod', feature: 'A7', config: ['score.weights', 'score.quarantine', 'score.reject', 'policy.ptrMarkScore'], kind: 'check', summary: 'the marks (H2, A1-A3, A6) summed: X-Rampart-Score; at score.quarantine marked quarantine; at score.reject 550 5.7.1' },
  { name: 'eod.dkimSign', stage: 'eod', feature: 'A8', config: ['senderAuth.signing.enabled', 'senderAuth.signing.lanRelay'], kind: 'check', summary: 'authenticated and LAN mail signed with the active DKIM key of its From domain (rampart dkim); a signing error 451 4.3.0 (our fault)' },
  { name: 'eod.spool', stage: 'eod', feature: 'P5', config: ['dataDir', 'spool.minFreeBytes'], kind: 'guard', noWarn: 'a message that cannot be stored cannot be accepted', summary: 'the message cannot be written or made durable: 451 4.3.0, full disk 452 4.3.1' },
  { name: 'session.maxFailedCommands', stage: 'session', feature: 'H5', config: ['limits.maxFailedCommands'], kind: 'guard', summary: 'client-caused refusals in one session: 421 4.7.0 and close' },
];

const plugins: CheckInfo[] = [];

/** Every registered check and guard, built-ins first, in stage order. */
export function allChecks(): readonly CheckInfo[] {
  const all = [...BUILTIN, ...plugins];
  return STAGE_ORDER.flatMap((s) => all.filter((c) => c.stage === s));
}

/** The entry for a name, if registered. */
export function findCheck(name: string): CheckInfo | undefined {
  return BUILTIN.find((c) => c.name === name) ?? plugins.find((c) => c.name === name);
}

/** Plugin API: registers a check added in TypeScript (before the config naming it is loaded). */
export function registerCheck(info: CheckInfo): void {
  if (!/^[a-z]+\.[A-Za-z][A-Za-z0-9]*$/.test(info.name) || !info.name.startsWith(`${info.stage}.`)) {
    throw new Error(`check name "${info.name}" must be "<stage>.<settingName>" with stage ${info.stage}`);
  }
  if (findCheck(info.name)) throw new Error(`check "${info.name}" is already registered`);
  plugins.push(info);
}

/** Problems with a configured list of check names (e.g. policy.warn), each naming the key and the name. */
export function checkListProblems(key: string, names: readonly string[], opts: { warn?: boolean } = {}): string[] {
  const out: string[] = [];
  names.forEach((name, i) => {
    const c = findCheck(name);
    if (!c) out.push(`${key}.${i}: unknown check "${name}" (known: ${allChecks().map((x) => x.name).join(', ')})`);
    else if (opts.warn && c.noWarn) out.push(`${key}.${i}: ${name} cannot run in warn mode (${c.noWarn})`);
  });
  return out;
}

/** The registry as text, stage by stage in order (for `rampart config check --checks`). */
export function checkListText(): string {
  const lines: string[] = [];
  for (const stage of STAGE_ORDER) {
    const list = allChecks().filter((c) => c.stage === stage);
    if (!list.length) continue;
    lines.push(`${stage}:`);
    for (const c of list) {
      lines.push(`  ${c.name.padEnd(42)} ${c.feature.padEnd(3)} ${c.kind.padEnd(5)} ${c.summary}`);
      lines.push(`  ${''.padEnd(42)} config: ${c.config.join(', ')}${c.noWarn ? `; no warn mode (${c.noWarn})` : ''}`);
    }
  }
  return lines.join('\n') + '\n';
}
