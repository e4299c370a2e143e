// Counts bare CR and bare LF in a byte stream cut into arbitrary chunks (used for
// BDAT content, where there is no dot-decoding to notice them on the way).

const CR = 13;
const LF = 10;

export class LineEndingScanner {
  bareLf = 0;
  bareCr = 0;
  private lastWasCr = false;

  scan(b: Buffer): void {
    if (b.length === 0) return;
    if (this.lastWasCr && b[0] !== LF) this.bareCr++;
    let i = b.indexOf(LF);
    while (i >= 0) {
      if (i === 0 ? !this.lastWasCr : b[i - 1] !== CR) this.bareLf++;
      i = b.indexOf(LF, i + 1);
    }
    let j = b.indexOf(CR);
    while (j >= 0 && j < b.length - 1) {
      if (b[j + 1] !== LF) this.bareCr++;
      j = b.indexOf(CR, j + 1);
    }
    this.lastWasCr = b[b.length - 1] === CR;
  }

  /** At the end of the content: a trailing CR is bare. */
  end(): void {
    if (this.lastWasCr) this.bareCr++;
    this.lastWasCr = false;
  }
}
