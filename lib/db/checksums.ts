import { CODE_TABLE, KBO_TABLES } from '../kbo/spec';
import type { Sql } from './client';
import { ident } from './sql';

export interface TableChecksum {
  rows: number;
  md5: string;
}

/** The register tables a checksum covers: every data table and the codes. */
export const CHECKSUM_TABLES = [...KBO_TABLES.map((t) => t.table), CODE_TABLE.table] as const;

/**
 * One checksum per register table over every row, current and historical, with every column
 * (history and derived ones included). `ids: false` leaves the identity key out and orders by
 * content, so two databases that applied the same files in different orders (parallel
 * drivers, retries, crashes) compare equal exactly when they hold the same rows.
 */
export async function tableChecksums(sql: Sql, opts: { ids: boolean }): Promise<Record<string, TableChecksum>> {
  const out: Record<string, TableChecksum> = {};
  for (const table of CHECKSUM_TABLES) {
    const t = ident(sql, table);
    const [r] = opts.ids
      ? await sql<{ n: number; sum: string | null }[]>`
          select count(*)::int as n, md5(string_agg(x::text, E'\\n' order by x.id)) as sum from ${t} x`
      : await sql<{ n: number; sum: string | null }[]>`
          select count(*)::int as n, md5(string_agg(r, E'\\n' order by r)) as sum
          from (select (to_jsonb(x) - 'id')::text as r from ${t} x) rows`;
    out[table] = { rows: r?.n ?? 0, md5: r?.sum ?? '-' };
  }
  return out;
}
