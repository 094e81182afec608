import { Transform, type Readable } from 'node:stream';
import { ImportFailure } from '../../errors';
import { readCsv, type CsvChunkAt, type CsvPosition } from './csv';

/** Counts an entry's inflated bytes: a zip can understate a file's size, and we never inflate past what it declared. */
export function declared(source: Readable, declaredBytes: number, name: string): Readable {
  let bytes = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      if (bytes > declaredBytes) {
        done(pastDeclared(name, declaredBytes));
        return;
      }
      done(null, chunk);
    },
  });
  source.once('error', (err) => counted.destroy(damagedOr(err, name) as Error));
  source.pipe(counted);
  return counted;
}

function pastDeclared(name: string, declaredBytes: number): ImportFailure {
  return new ImportFailure(
    'VALIDATION',
    `${name} unpacks to more than the ${declaredBytes.toLocaleString('en')} bytes its zip entry declares; the zip was refused as a possible zip bomb.`,
    { file: name },
  );
}

function damaged(name: string, err: Error): ImportFailure {
  return new ImportFailure(
    'VALIDATION',
    `${name} is damaged inside the zip (it cannot be decompressed: ${err.message}); nothing was imported. Download the extract again and upload it as it comes.`,
    { file: name },
  );
}

/** An error met while inflating an entry, as the refusal a person reads; other errors pass unchanged. */
export function damagedOr(err: unknown, name: string): unknown {
  if (err instanceof ImportFailure) return err;
  // yauzl also checks an entry against its declared size.
  const over = /too many bytes in the stream\. expected (\d+)/.exec((err as Error).message ?? '');
  if (over) return pastDeclared(name, Number(over[1]));
  const code = (err as { code?: unknown }).code;
  // zlib and yauzl errors (not the database's) mean the entry itself is damaged.
  if (typeof code === 'string' && code.startsWith('Z_')) return damaged(name, err as Error);
  if (err instanceof Error && /too many bytes|not enough bytes|invalid (block|distance|code)|unexpected end of file/i.test(err.message)) return damaged(name, err);
  return err;
}

/**
 * An entry's CSV chunks from `from` on, inflated within its declared size. The entry is
 * opened only when the first chunk is asked for: its stream then has a reader from the start,
 * so an error it raises early (damaged data) reaches that reader instead of going unheard,
 * and a reader that is dropped unstarted opens nothing.
 */
export async function* readEntry(open: () => Readable, declaredBytes: number, name: string, from: CsvPosition): AsyncGenerator<CsvChunkAt> {
  yield* readCsv(declared(open(), declaredBytes, name), name, from);
}
