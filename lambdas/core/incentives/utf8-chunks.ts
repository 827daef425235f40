/**
 * Text encoded to UTF-8 as it is written, into chunks of a fixed size: no joined string and no
 * second copy per piece (a national month's tally JSON is 180 MB, its sheet XML 300 MB).
 */
export class Utf8Chunks {
  private chunk: Buffer;
  private used = 0;

  constructor(private readonly chunkBytes = 1 << 20, private readonly onChunk: (bytes: Buffer) => void = () => undefined) {
    this.chunk = Buffer.allocUnsafe(chunkBytes);
  }

  /** Bytes written and not yet handed over. */
  get pending(): number {
    return this.used;
  }

  write(text: string): void {
    // A UTF-16 code unit is at most 3 UTF-8 bytes (a surrogate pair, 2 units, is 4).
    if (this.used + text.length * 3 > this.chunk.length) {
      this.flush();
      if (text.length * 3 > this.chunk.length) {
        this.onChunk(Buffer.from(text, 'utf8'));
        return;
      }
    }
    this.used += this.chunk.write(text, this.used, 'utf8');
  }

  /** Hands the bytes written so far to `onChunk` and starts a new chunk. */
  flush(): void {
    if (this.used === 0) return;
    if (this.used < this.chunk.length / 4) {
      // A chunk barely used (a few bytes before a long text) is copied out and reused: handing
      // over its view would keep the whole chunk alive for those bytes.
      this.onChunk(Buffer.from(this.chunk.subarray(0, this.used)));
    } else {
      this.onChunk(this.chunk.subarray(0, this.used));
      this.chunk = Buffer.allocUnsafe(this.chunkBytes);
    }
    this.used = 0;
  }
}
