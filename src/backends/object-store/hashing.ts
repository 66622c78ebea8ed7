/** sha256 of the bytes that pass through a stream, without holding them. */
import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';

export interface HashedStream {
  stream: Readable;
  /** Valid once the stream has ended. */
  digest(): { bytes: number; sha256: string };
}

export function hashing(source: Readable): HashedStream {
  const hash = createHash('sha256');
  let bytes = 0;
  let hex: string | undefined;
  const pass = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      bytes += chunk.length;
      callback(null, chunk);
    },
  });
  source.on('error', (error) => pass.destroy(error));
  source.pipe(pass);
  return {
    stream: pass,
    digest() {
      hex ??= hash.digest('hex');
      return { bytes, sha256: hex };
    },
  };
}
