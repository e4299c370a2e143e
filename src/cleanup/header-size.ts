// S6: header size limit (Sun headerlimit / HEADER_LIMIT). The primary (outermost)
// header may hold at most `limit` octets (fields with their CRLFs, after the other
// cleanup steps; the blank line that ends the header is not counted). The first field
// that does not fit, and every field after it, is silently dropped whole (with its
// folded lines); the blank line and the body follow unchanged. No limit by default.
// Levels: the global `limits.headerLimit`, when set, overrides the listener's
// `listeners[].headerLimit`, as Sun's HEADER_LIMIT overrides the channel's headerlimit.

export function effectiveHeaderLimit(global: number | undefined, listener: number | undefined): number | undefined {
  return global ?? listener;
}

export class HeaderSizeLimit {
  /** Octets kept so far. */
  bytes = 0;
  droppedFields = 0;
  droppedBytes = 0;
  private dropping = false;

  constructor(readonly limit: number | undefined) {}

  /** Whether a field (or, with `newField` false, a further piece of one) of `size` octets is kept. */
  keep(size: number, newField = true): boolean {
    if (this.limit === undefined) return true;
    if (!this.dropping && this.bytes + size <= this.limit) {
      this.bytes += size;
      return true;
    }
    this.dropping = true;
    if (newField) this.droppedFields++;
    this.droppedBytes += size;
    return false;
  }
}
