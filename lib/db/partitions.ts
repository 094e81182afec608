/**
 * Which hash partition of a register table holds a key, worked out here as PostgreSQL does it,
 * so a batch can be made of one partition's keys and address that partition directly.
 *
 * The register's tables are `PARTITION BY HASH (key)` with MODULUS 32 (drizzle/0024), each
 * partition named `<table>_pNN` after its remainder. PostgreSQL routes a text key by
 * `hashtextextended(key, seed)`: Bob Jenkins' lookup3 hash of the key's bytes (UTF-8, a
 * deterministic collation) with the partitioning seed 0x7A5B22367996DCFD, combined into a
 * 64-bit row hash as `0 ^ (h + 0x49a0f4dd15e5a8e3)`, then taken modulo the modulus. For a
 * modulus that is a power of two only the low 32 bits of that sum count, so 32-bit arithmetic
 * gives the same answer. `test/integration/partitions.test.ts` holds this to the server's own
 * routing.
 */
export const PARTITIONS = 32;

const SEED_HI = 0x7a5b2236;
const SEED_LO = 0x7996dcfd;
/** The low 32 bits of hash_combine64's constant. */
const COMBINE_LO = 0x15e5a8e3;

const rot = (x: number, k: number) => (x << k) | (x >>> (32 - k));

/** The partition (remainder) of a key among `parts`, a power of two up to 2^32. */
export function partitionOf(key: string, parts: number = PARTITIONS): number {
  return ((lowHash(key) + COMBINE_LO) >>> 0) % parts;
}

/** The partition table of a register table that holds a key. */
export function partitionTable(table: string, part: number): string {
  return `${table}_p${String(part).padStart(2, '0')}`;
}

/** A register table's partition `part`, or the table itself when there is none (null). */
export function tableOrPartition(table: string, part: number | null | undefined): string {
  return part === null || part === undefined ? table : partitionTable(table, part);
}

/** The low 32 bits of hashtextextended(key, seed): lookup3's `c`. */
function lowHash(key: string): number {
  const k = asciiBytes(key) ?? Buffer.from(key, 'utf8');
  let len = k.length;
  let a = (0x9e3779b9 + len + 3923095) | 0;
  let b = a;
  let c = a;
  a = (a + SEED_HI) | 0;
  b = (b + SEED_LO) | 0;
  [a, b, c] = mix(a, b, c);
  let i = 0;
  while (len >= 12) {
    a = (a + word(k, i)) | 0;
    b = (b + word(k, i + 4)) | 0;
    c = (c + word(k, i + 8)) | 0;
    [a, b, c] = mix(a, b, c);
    i += 12;
    len -= 12;
  }
  // The last 11 bytes; the lowest byte of c is left for the length, as lookup3 does.
  if (len >= 9) c = (c + (tail(k, i + 8, len - 8) << 8)) | 0;
  if (len >= 5) b = (b + tail(k, i + 4, Math.min(4, len - 4))) | 0;
  if (len >= 1) a = (a + tail(k, i, Math.min(4, len))) | 0;
  [a, b, c] = final(a, b, c);
  return c >>> 0;
}

/** A key of ASCII characters (the register's keys are) as its bytes, without a Buffer. */
function asciiBytes(key: string): number[] | null {
  const out = new Array<number>(key.length);
  for (let i = 0; i < key.length; i++) {
    const ch = key.charCodeAt(i);
    if (ch > 0x7f) return null;
    out[i] = ch;
  }
  return out;
}

type Bytes = ArrayLike<number>;

/** Four bytes, little-endian. */
function word(k: Bytes, i: number): number {
  return ((k[i] as number) | ((k[i + 1] as number) << 8) | ((k[i + 2] as number) << 16) | ((k[i + 3] as number) << 24)) | 0;
}

/** Up to four bytes at i, little-endian. */
function tail(k: Bytes, i: number, n: number): number {
  let v = 0;
  for (let j = 0; j < n; j++) v |= (k[i + j] as number) << (8 * j);
  return v | 0;
}

function mix(a: number, b: number, c: number): [number, number, number] {
  a = (a - c) | 0; a ^= rot(c, 4); c = (c + b) | 0;
  b = (b - a) | 0; b ^= rot(a, 6); a = (a + c) | 0;
  c = (c - b) | 0; c ^= rot(b, 8); b = (b + a) | 0;
  a = (a - c) | 0; a ^= rot(c, 16); c = (c + b) | 0;
  b = (b - a) | 0; b ^= rot(a, 19); a = (a + c) | 0;
  c = (c - b) | 0; c ^= rot(b, 4); b = (b + a) | 0;
  return [a, b, c];
}

function final(a: number, b: number, c: number): [number, number, number] {
  c ^= b; c = (c - rot(b, 14)) | 0;
  a ^= c; a = (a - rot(c, 11)) | 0;
  b ^= a; b = (b - rot(a, 25)) | 0;
  c ^= b; c = (c - rot(b, 16)) | 0;
  a ^= c; a = (a - rot(c, 4)) | 0;
  b ^= a; b = (b - rot(a, 14)) | 0;
  c ^= b; c = (c - rot(b, 24)) | 0;
  return [a, b, c];
}
