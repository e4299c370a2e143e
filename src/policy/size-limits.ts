// S1/S2/S3: which size and line limits apply, at every level the spec names.
//
// - The sender's size limit follows "most specific wins" per setting:
//     maxMessageSize:   sender address > sender domain (directory) > listener > limits
//     sourceBlockLimit: sender address > sender domain (directory) > listener   (x blockSize)
//   and both apply (the smaller decides).
// - Global limits.blockLimit x blockSize (Sun BLOCK_LIMIT) applies everywhere and caps
//   every other value (the spec's "global equivalents that apply everywhere").
// - Each recipient domain may carry its own maxMessageSize (MDaemon per-domain): a
//   message must fit the limit of every accepted recipient's domain, so during DATA the
//   smallest applying limit decides (one reply covers all recipients).
// - Global limits.lineLimit (Sun LINE_LIMIT) counts the lines of every incoming message.
//
// Pure functions over the config snapshot and directory attributes: no I/O.

import type { Listener, Snapshot } from '../config/load.js';
import type { Limits } from '../directory/sender-limits.js';

export type SizeFeature = 'S1' | 'S2' | 'S3';

export interface SizeLimit {
  /** Largest message in octets. */
  bytes: number;
  /** The setting that decided, for the log line (never shown to the client). */
  source: string;
  /** SPEC feature of that setting. */
  feature: SizeFeature;
}

/** Directory attributes of the envelope sender: its own entry and its domain's. */
export interface SenderAttributes {
  address: Limits;
  domain: Limits;
}

const NONE: SenderAttributes = { address: {}, domain: {} };

function smallest(candidates: Array<SizeLimit | undefined>): SizeLimit {
  let best: SizeLimit | undefined;
  for (const c of candidates) if (c && (!best || c.bytes < best.bytes)) best = c;
  return best!;
}

/** Global BLOCK_LIMIT as octets, if set. */
function globalBlockCap(config: Snapshot): SizeLimit | undefined {
  const { blockLimit, blockSize } = config.limits;
  return blockLimit === undefined ? undefined : { bytes: blockLimit * blockSize, source: 'limits.blockLimit', feature: 'S3' };
}

/** S1 at the listener level: the listener's maxMessageSize, else limits.maxMessageSize. */
function listenerMax(config: Snapshot, listener: Listener): SizeLimit {
  return listener.maxMessageSize !== undefined
    ? { bytes: listener.maxMessageSize, source: `listeners.${listener.name}.maxMessageSize`, feature: 'S1' }
    : { bytes: config.limits.maxMessageSize, source: 'limits.maxMessageSize', feature: 'S1' };
}

/**
 * What EHLO advertises as SIZE, before the sender is known: the listener's (or global)
 * maxMessageSize, capped by the listener's sourceBlockLimit and the global blockLimit.
 */
export function advertisedSize(config: Snapshot, listener: Listener): SizeLimit {
  return senderSizeLimit(config, listener, NONE);
}

/** The limit for a sender (MAIL): most specific maxMessageSize and sourceBlockLimit, capped by blockLimit. */
export function senderSizeLimit(config: Snapshot, listener: Listener, sender: SenderAttributes): SizeLimit {
  const bs = config.limits.blockSize;
  let max: SizeLimit;
  if (sender.address.maxMessageSize !== undefined) max = { bytes: sender.address.maxMessageSize, source: 'directory sender maxMessageSize', feature: 'S2' };
  else if (sender.domain.maxMessageSize !== undefined) max = { bytes: sender.domain.maxMessageSize, source: 'directory sender domain maxMessageSize', feature: 'S2' };
  else max = listenerMax(config, listener);
  let blocks: SizeLimit | undefined;
  if (sender.address.sourceBlockLimit !== undefined) blocks = { bytes: sender.address.sourceBlockLimit * bs, source: 'directory sender sourceBlockLimit', feature: 'S3' };
  else if (sender.domain.sourceBlockLimit !== undefined) blocks = { bytes: sender.domain.sourceBlockLimit * bs, source: 'directory sender domain sourceBlockLimit', feature: 'S3' };
  else if (listener.sourceBlockLimit !== undefined) blocks = { bytes: listener.sourceBlockLimit * bs, source: `listeners.${listener.name}.sourceBlockLimit`, feature: 'S3' };
  return smallest([max, blocks, globalBlockCap(config)]);
}

/** A recipient domain's own limit (S2, MDaemon per-domain), if it has one. */
export function recipientDomainLimit(domain: string, attrs: Limits): SizeLimit | undefined {
  return attrs.maxMessageSize === undefined ? undefined : { bytes: attrs.maxMessageSize, source: `directory recipient domain ${domain} maxMessageSize`, feature: 'S2' };
}

/** The limit for a whole message (DATA/BDAT): the sender's, and every accepted recipient domain's; the smallest applies. */
export function messageSizeLimit(config: Snapshot, listener: Listener, sender: SenderAttributes, rcptDomains: Array<{ domain: string; attrs: Limits }>): SizeLimit {
  return smallest([senderSizeLimit(config, listener, sender), ...rcptDomains.map((r) => recipientDomainLimit(r.domain, r.attrs))]);
}

/** The global line limit (Sun LINE_LIMIT), if set. */
export function lineLimit(config: Snapshot): number | undefined {
  return config.limits.lineLimit;
}

/** Directory attributes of a sender address ("" for the null sender: none). */
export function senderAttributes(limits: { of(subject: string): Limits }, address: string): SenderAttributes {
  if (!address) return NONE;
  const at = address.lastIndexOf('@');
  const domain = at >= 0 ? address.slice(at + 1).toLowerCase() : '';
  return { address: limits.of(address.toLowerCase()), domain: domain ? limits.of(domain) : {} };
}
