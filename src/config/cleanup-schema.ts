// Configuration keys of the cleanup stage (S5 header lines, S6 header size, S7 long
// lines, S8 MIME parameter lengths). schema.ts spreads these into the listener and
// `limits` objects; this file keeps them out of the shared file.

import { z } from 'zod';

const positiveInt = z.number().int().positive();

/** Spread into ListenerSchema. */
export const listenerCleanupFields = {
  headerLimit: positiveInt.optional().describe('S6 (Sun headerlimit, channel level): largest primary header on this listener, in octets; fields past it are silently dropped. limits.headerLimit, when set, overrides it (as Sun\'s HEADER_LIMIT). Default: no limit.'),
  longLines: z.enum(['reject', 'wrap', 'truncate']).optional().describe('S7 (Sun rejectsmtplonglines / wrapsmtplonglines / truncatesmtplonglines): lines over 1000 octets including CRLF. reject: 554 5.6.0 after the data; wrap: broken into lines of at most 998 octets without breaking MIME; truncate: cut to 998 octets. Default truncate.'),
};

/** Spread into the `limits` object. */
export const limitsCleanupFields = {
  maxHeaderLines: z.number().int().min(1).max(100000).default(150).describe('S5 (Mailtraq "Maximum Header Lines"): most lines in the primary header (folded lines count); more: 552 5.6.0 after the data. Default 150.'),
  headerLimit: positiveInt.optional().describe('S6 (Sun HEADER_LIMIT): largest primary header, in octets, on every listener (overrides listeners[].headerLimit); fields past it are silently dropped. Default: no limit.'),
  parameterLengthLimit: z.number().int().min(16).max(65536).default(1024).describe('S8 (Sun parameterlengthlimit): Content-Type and Content-Disposition parameter values are cut to this many characters (decoded). Default 1024.'),
  nameParameterLengthLimit: z.number().int().min(16).max(65536).default(128).describe('S8 (Sun nameparameterlengthlimit): Content-Type name and Content-Disposition filename are cut to this many characters (decoded; the extension is kept). Default 128.'),
  mimeProcessing: z.boolean().default(false).describe('S8: apply the parameter limits to every MIME part\'s header (and embedded messages), not only the outermost header. Default false.'),
};
