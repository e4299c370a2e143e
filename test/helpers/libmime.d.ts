// Types for the parts of libmime (no bundled types) the cleanup tests use to check
// that rewritten MIME parameters decode to what was meant.
declare module 'libmime' {
  interface Libmime {
    parseHeaderValue(value: string): { value: string; params: Record<string, string> };
    decodeWords(value: string): string;
  }
  const libmime: Libmime;
  export default libmime;
}
