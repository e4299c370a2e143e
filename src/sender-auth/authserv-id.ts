// A5 RFC 8601 section 5: which authserv-id an incoming Authentication-Results field
// claims. Every field claiming ours is removed before we add our own, so a sender
// cannot forge our verdict; the cleanup stage does the removal on the header fields
// it assembles (cleanup/own-auth-results.ts). Fields of other authserv-ids stay
// (other ADMDs' claims, harmless to readers who trust only ours).

const AR_NAME = /^authentication-results[ \t]*:/i;

/** The authserv-id of an Authentication-Results field (name included, folded or not); '' if none. */
export function authservIdOf(field: string): string {
  let v = field.replace(AR_NAME, '').replace(/\r?\n/g, '');
  // Leading CFWS: white space and (nested) comments.
  for (;;) {
    v = v.replace(/^[ \t]+/, '');
    if (!v.startsWith('(')) break;
    let depth = 0;
    let i = 0;
    for (; i < v.length; i++) {
      if (v[i] === '\\') i++;
      else if (v[i] === '(') depth++;
      else if (v[i] === ')' && --depth === 0) break;
    }
    v = v.slice(i + 1);
  }
  if (v.startsWith('"')) {
    const m = /^"((?:[^"\\]|\\.)*)"/.exec(v);
    return m ? m[1].replace(/\\(.)/g, '$1').toLowerCase() : '';
  }
  return (/^[^\s;()]+/.exec(v)?.[0] ?? '').toLowerCase();
}

/** True when the field is an Authentication-Results field claiming `authservId`. */
export function claimsAuthservId(field: string, authservId: string): boolean {
  return AR_NAME.test(field) && authservIdOf(field) === authservId.toLowerCase();
}
