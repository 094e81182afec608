import type { Queryable } from '../../db/client';
import type { ImportUpload } from '../../db/schema';

/** Every query of the engine on import_uploads and import_upload_parts: stored zips, by part. */

/** An upload's row as drizzle names it, without its creation time. */
export type UploadRow = Omit<ImportUpload, 'createdAt'>;

export async function findUpload(sql: Queryable, uploadId: number): Promise<UploadRow | undefined> {
  const [u] = await sql<UploadRow[]>`
    select id, file_name as "fileName", size::float8 as size, sha256, part_size as "partSize", url, options
    from import_uploads where id = ${uploadId}`;
  return u;
}

/** A new upload row with nothing stored yet; `partSize` null for a zip stored in one go. */
export async function insertUpload(
  sql: Queryable,
  u: { fileName: string; size: number; partSize: number | null; url: string | null; options: Record<string, unknown> },
): Promise<number> {
  const [row] = await sql<{ id: number }[]>`
    insert into import_uploads (file_name, size, sha256, part_size, url, options)
    values (${u.fileName}, ${u.size}, '', ${u.partSize}, ${u.url}, ${JSON.stringify(u.options)}::jsonb)
    returning id`;
  return (row as { id: number }).id;
}

/** Every byte stored: its size and the whole file's sha256 (only while not yet set). */
export async function markUploadComplete(sql: Queryable, uploadId: number, sha256: string, size?: number): Promise<void> {
  await sql`
    update import_uploads set sha256 = ${sha256} ${size === undefined ? sql`` : sql`, size = ${size}`}
    where id = ${uploadId} and sha256 = ''`;
}

/** Uploads in parts never completed within a day (at most `limit`, oldest first). */
export async function abandonedUploads(sql: Queryable, limit = 100): Promise<number[]> {
  const old = await sql<{ id: number }[]>`
    select id from import_uploads where sha256 = '' and part_size is not null and created_at < now() - interval '1 day'
    order by id limit ${limit}`;
  return old.map((u) => u.id);
}

/** Uploads in parts begun and not completed, no import made from them, the sync's portal files aside. */
export async function openUploadCount(sql: Queryable): Promise<number> {
  const [r] = await sql<{ n: number }[]>`
    select count(*)::int as n from import_uploads u
    where u.sha256 = '' and u.part_size is not null and (u.url is null or u.url not like ${`${PORTAL_SCHEME}%`})`;
  return r?.n ?? 0;
}

/** The URL of an upload a sync fetches from the KBO portal, with its session: `kbo-portal:<file name>`. */
export const PORTAL_SCHEME = 'kbo-portal:';

/** No import was made from upload `u` yet. */
const noJobYet = (sql: Queryable) => sql`not exists (select 1 from import_jobs j where j.source = jsonb_build_object('kind', 'upload', 'uploadId', u.id))`;

/** The oldest URL fetch not finished, that no job was made from yet (a sync's portal files are the sync's). */
export async function pendingFetch(sql: Queryable): Promise<number | undefined> {
  const [u] = await sql<{ id: number }[]>`
    select u.id from import_uploads u
    where u.url is not null and u.url not like ${`${PORTAL_SCHEME}%`} and u.sha256 = '' and ${noJobYet(sql)}
    order by u.id limit 1`;
  return u?.id;
}

/** The newest upload of `url` that no job was made from yet: a download to carry on. */
export async function unstartedUploadOf(sql: Queryable, url: string): Promise<number | undefined> {
  const [u] = await sql<{ id: number }[]>`select u.id from import_uploads u where u.url = ${url} and ${noJobYet(sql)} order by u.id desc limit 1`;
  return u?.id;
}

export async function deleteUpload(sql: Queryable, uploadId: number): Promise<void> {
  await sql`delete from import_uploads where id = ${uploadId}`;
}

/** The parts stored so far: offset and length. */
export async function storedParts(sql: Queryable, uploadId: number): Promise<{ offset: number; bytes: number }[]> {
  const parts = await sql<{ offset: string; bytes: number }[]>`
    select "offset", bytes from import_upload_parts where upload_id = ${uploadId} order by "offset"`;
  return parts.map((p) => ({ offset: Number(p.offset), bytes: Number(p.bytes) }));
}

/** Offsets of the parts whose bytes are in the object store, not in the row. */
export async function externalPartOffsets(sql: Queryable, uploadId: number): Promise<number[]> {
  const stored = await sql<{ offset: string }[]>`select "offset" from import_upload_parts where upload_id = ${uploadId} and data is null`;
  return stored.map((p) => Number(p.offset));
}

/** Up to `limit` parts that hold bytes of [pos, end), in order, each with just its bytes in that range (`data` null when the part is in the object store). */
export async function partsCovering(sql: Queryable, uploadId: number, pos: number, end: number, limit: number) {
  // Only the bytes asked for leave the database: reading a zip's directory or an entry's
  // header asks for a few bytes, and whole parts (4 MB each) made that seconds of work.
  return sql<{ offset: string; data: Buffer | null }[]>`
    select "offset",
           substring(data from (greatest("offset", ${pos}::bigint) - "offset" + 1)::int
                          for (least("offset" + bytes, ${end}::bigint) - greatest("offset", ${pos}::bigint))::int) as data
    from import_upload_parts
    where upload_id = ${uploadId} and "offset" + bytes > ${pos} and "offset" < ${end}
    order by "offset" limit ${limit}`;
}

/** Stores a part's row; storing it again replaces it, or with `keepFirst` leaves the first copy. */
export async function upsertPart(sql: Queryable, uploadId: number, offset: number, bytes: number, data: Buffer | null, keepFirst: boolean): Promise<void> {
  if (keepFirst) {
    await sql`
      insert into import_upload_parts (upload_id, "offset", bytes, data) values (${uploadId}, ${offset}, ${bytes}, ${data})
      on conflict (upload_id, "offset") do nothing`;
  } else {
    await sql`
      insert into import_upload_parts (upload_id, "offset", bytes, data) values (${uploadId}, ${offset}, ${bytes}, ${data})
      on conflict (upload_id, "offset") do update set bytes = excluded.bytes, data = excluded.data`;
  }
}
