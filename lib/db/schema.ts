import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  customType,
  date,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgSequence,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
  type PgColumn,
  type PgColumnBuilderBase,
} from 'drizzle-orm/pg-core';
import { CODE_TABLE, KBO_TABLES, type ColumnSpec, type TableSpec } from '../kbo/spec';

/**
 * A CHECK that a text column holds one of `values`: the database refuses any other status,
 * outcome or kind. The lists spell the state modules' values (lib/imports/state/machine.ts,
 * lib/sync/state.ts) as SQL; their unit tests keep them equal.
 */
function oneOf(name: string, column: PgColumn, values: readonly string[], nullable = false) {
  const list = sql.raw(values.map((v) => `'${v}'`).join(', '));
  return check(name, nullable ? sql`${column} is null or ${column} in (${list})` : sql`${column} in (${list})`);
}

/**
 * Every table, in one module. The register tables and their staging twins are built from
 * the dataset definition in lib/kbo/spec.ts, so a column is declared exactly once.
 */

/**
 * An entity key compares bytewise (`COLLATE "C"`), whatever the database's default collation:
 * a resync batch covers a range of keys, and the app cuts those ranges in JavaScript, whose
 * string order is the same bytewise order for these ASCII keys. It also makes the key indexes
 * cheaper to build and search than a locale's collation.
 */
const entityKey = customType<{ data: string; driverData: string }>({ dataType: () => 'text COLLATE "C"' });

function businessColumns(columns: ColumnSpec[], isRegister: boolean): Record<string, PgColumnBuilderBase> {
  const out: Record<string, PgColumnBuilderBase> = {};
  columns.forEach((c, i) => {
    if (isRegister && i === 0) {
      out[c.column] = entityKey(c.column).notNull();
      return;
    }
    out[c.column] = c.kind === 'date' ? date(c.column, { mode: 'string' }) : text(c.column);
  });
  return out;
}

/** History columns: which import made a row current, and which one ended it. */
const history = () => ({
  extract_number: integer('extract_number').notNull(),
  snapshot_date: date('snapshot_date', { mode: 'string' }),
  is_current: boolean('is_current').notNull().default(true),
  deleted_at_extract: integer('deleted_at_extract'),
});

const identity = () => ({ id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity() });

/**
 * A register table's row id. The table is hash-partitioned on its entity key (drizzle/0024), so
 * its primary key leads with that key: PostgreSQL keys a partitioned table on its partition key.
 */
const rowId = () => ({ id: bigint('id', { mode: 'number' }).notNull().generatedAlwaysAsIdentity() });

type Columns = Record<string, PgColumn>;

/**
 * `byEnterprise`: also an index of current rows by enterprise number (an enterprise page lists
 * its establishments and branches). `search`: the table's own indexes for the register's search.
 */
function registerTable(
  spec: TableSpec,
  extra: Record<string, PgColumnBuilderBase> = {},
  byEnterprise = false,
  search: (t: Columns) => ReturnType<ReturnType<typeof index>['on']>[] = () => [],
) {
  return pgTable(
    spec.table,
    { ...rowId(), ...businessColumns(spec.columns, true), ...extra, ...history() },
    (table) => {
      const t = table as unknown as Columns;
      return [
        primaryKey({ columns: [t[spec.key]!, t.id!] }),
        // "current rows of entity X": the batch SQL's join and every look-up by number. Unique
        // where the register holds one row per key: no path can make a key current twice.
        (spec.oneRowPerKey ? uniqueIndex : index)(`${spec.table}_current_key_idx`).on(t[spec.key]!).where(sql`is_current`),
        // "ended rows of entity X" (its history, its state as of an earlier extract) read the
        // primary key, which leads with the key: an index of their own cost every row an
        // import ends one more entry (drizzle/0027).
        // Rollback finds what an import made and what it ended.
        index(`${spec.table}_extract_idx`).on(t.extract_number!),
        index(`${spec.table}_deleted_idx`).on(t.deleted_at_extract!).where(sql`deleted_at_extract is not null`),
        ...(byEnterprise
          ? [
              index(`${spec.table}_current_enterprise_idx`).on(t.enterprise_number!).where(sql`is_current`),
              index(`${spec.table}_ended_enterprise_idx`).on(t.enterprise_number!).where(sql`not is_current`),
            ]
          : []),
        ...search(t),
      ];
    },
  );
}

const [enterpriseSpec, establishmentSpec, denominationSpec, addressSpec, contactSpec, activitySpec, branchSpec] =
  KBO_TABLES as [TableSpec, TableSpec, TableSpec, TableSpec, TableSpec, TableSpec, TableSpec];

/** `primary_name` is derived at finalize from the enterprise's current `001` denominations. */
// Search (lib/register/search.ts): a filter walks its index in entity-number order; a name
// is found by prefix (btree on the folded name, bytewise) or by trigrams (contains, similar).
// kbo_fold() is defined in 0013_search_functions.sql.
export const enterprises = registerTable(enterpriseSpec, { primary_name: text('primary_name') }, false, (t) => [
  index('enterprises_current_form_idx').on(t.juridical_form!, t.enterprise_number!).where(sql`is_current`),
]);
export const establishments = registerTable(establishmentSpec, {}, true);
export const denominations = registerTable(denominationSpec, {}, false, (t) => [
  index('denominations_current_name_idx').on(sql`(kbo_fold(${t.denomination}) collate "C")`, t.entity_number!).where(sql`is_current`),
  index('denominations_current_name_trgm_idx').using('gin', sql`kbo_fold(${t.denomination}) gin_trgm_ops`).where(sql`is_current`),
]);
export const addresses = registerTable(addressSpec, {}, false, (t) => [
  index('addresses_current_zipcode_idx').on(t.zipcode!, t.entity_number!).where(sql`is_current`),
]);
export const contacts = registerTable(contactSpec);
export const activities = registerTable(activitySpec, {}, false, (t) => [
  index('activities_current_nace_idx').on(t.nace_code!, t.entity_number!).where(sql`is_current`),
]);
export const branches = registerTable(branchSpec, {}, true);

export const codes = pgTable(
  'codes',
  { ...identity(), ...businessColumns(CODE_TABLE.columns, false), ...history() },
  (table) => {
    const t = table as unknown as Record<string, PgColumn>;
    return [index('codes_current_idx').on(t.category!, t.code!, t.language!).where(sql`is_current`)];
  },
);

/** Parsed rows waiting to be applied. WAL-logged (0011_logged_staging.sql), so a database crash keeps every committed step. */
function stagingTable(name: string, columns: ColumnSpec[]) {
  return pgTable(
    name,
    {
      job_id: integer('job_id').notNull(),
      batch_number: integer('batch_number').notNull(),
      operation: text('operation').notNull(),
      line: integer('line').notNull(),
      ...businessColumns(columns, false),
    },
    (t) => [index(`${name}_batch_idx`).on(t.job_id, t.batch_number, t.operation)],
  );
}

export const importStagingEnterprises = stagingTable(enterpriseSpec.staging, enterpriseSpec.columns);
export const importStagingEstablishments = stagingTable(establishmentSpec.staging, establishmentSpec.columns);
export const importStagingDenominations = stagingTable(denominationSpec.staging, denominationSpec.columns);
export const importStagingAddresses = stagingTable(addressSpec.staging, addressSpec.columns);
export const importStagingContacts = stagingTable(contactSpec.staging, contactSpec.columns);
export const importStagingActivities = stagingTable(activitySpec.staging, activitySpec.columns);
export const importStagingBranches = stagingTable(branchSpec.staging, branchSpec.columns);
export const importStagingCodes = stagingTable(CODE_TABLE.staging, CODE_TABLE.columns);

export interface StagingProgress {
  files: number;
  filesDone: number;
  /** The file being staged now (null once every file is staged). */
  file: string | null;
  /** Uncompressed CSV bytes read so far, of all files. */
  bytesDone: number;
  bytesTotal: number;
  /** Rows checked and staged so far. */
  rows: number;
}

const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' });

export type ImportMode = 'initial' | 'update' | 'resync';

export type ZipSourceRef = { kind: 'upload'; uploadId: number } | { kind: 'file'; path: string };

export interface UndoProgress {
  startedAt: string;
  /** Rows to remove (inserted by the job) and restore (ended by it), per table. */
  planned: Record<string, { remove: number; restore: number }>;
  removed: Record<string, number>;
  restored: Record<string, number>;
  /** Set while an undo is paused: the status it goes back to on resume. */
  pausedFrom?: string;
}

export const importJobs = pgTable(
  'import_jobs',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    dataset: text('dataset').notNull().default('kbo'),
    fileName: text('file_name').notNull(),
    fileSize: bigint('file_size', { mode: 'number' }).notNull(),
    sha256: text('sha256').notNull(),
    extractNumber: integer('extract_number'),
    extractType: text('extract_type').$type<'full' | 'update'>(),
    snapshotDate: date('snapshot_date', { mode: 'string' }),
    extractTimestamp: text('extract_timestamp'),
    /** One of JOB_STATUSES; only the moves in lib/imports/state/ change it. */
    status: text('status').notNull(),
    /** `initial` (a FULL into empty tables), `update`, or `resync` (a FULL compared with the tables' current rows). */
    mode: text('mode').$type<ImportMode>(),
    forced: boolean('forced').notNull().default(false),
    batchSize: integer('batch_size').notNull(),
    /** Bad rows: `continue` rejects them and imports the rest; `fail-fast` refuses the file. */
    onError: text('on_error').$type<'continue' | 'fail-fast'>().notNull().default('continue'),
    /** In `continue` mode, fail the import past this many rejected rows, or this share of all rows. */
    maxRejected: integer('max_rejected'),
    maxRejectedPercent: doublePrecision('max_rejected_percent'),
    /** Rows staged per file, and the totals written at finalize. */
    counts: jsonb('counts').$type<Record<string, unknown>>().notNull().default({}),
    warnings: jsonb('warnings').$type<string[]>().notNull().default([]),
    error: jsonb('error').$type<{ code: string; message: string; details?: unknown }>(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    preparedAt: timestamp('prepared_at', { withTimezone: true }),
    /** How far prepare got (kept from before staged prepare; status now reads import_job_files). */
    staging: jsonb('staging').$type<StagingProgress>(),
    /** Where prepare steps read the zip: an upload stored in the database, or a file on the driver's disk. */
    source: jsonb('source').$type<ZipSourceRef>(),
    /** Rows removed and restored per table while cancelling or rolling back. */
    undo: jsonb('undo').$type<UndoProgress>(),
    /** Tables a completed import changed whose statistics are not refreshed yet (ANALYZE, one a step). */
    analyzePending: text('analyze_pending').array().notNull().default(sql`'{}'::text[]`),
    /**
     * A FULL into an empty register loaded its tables without their secondary indexes
     * (drizzle/0025) and builds them, a partition at a time, once it has completed; true until
     * every one is built (lib/imports/jobs/indexes.ts).
     */
    indexing: boolean('indexing').notNull().default(false),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    /** When the import was paused (null: not paused): a pause is not counted in its duration. */
    pausedAt: timestamp('paused_at', { withTimezone: true }),
    /** The seconds its pauses that ended (resumed or cancelled) lasted. */
    pausedSeconds: doublePrecision('paused_seconds').notNull().default(0),
    /**
     * A preview (dry run): staged and worked out like an import, every batch undone as soon as
     * it was applied, so the register never changes; Apply turns it into the import (false).
     */
    preview: boolean('preview').notNull().default(false),
    /** The last completed import when the preview began (0: none): Apply refuses once it is not. */
    previewBasis: integer('preview_basis'),
    /** When the preview's batches were all worked out (it expires a day after, left alone). */
    previewedAt: timestamp('previewed_at', { withTimezone: true }),
    /** When an undo step (cancel, rollback) last moved it. */
    undoStepAt: timestamp('undo_step_at', { withTimezone: true }),
    /** When its status last changed (every move sets it): a job resumed or applied a moment ago has not stalled. */
    movedAt: timestamp('moved_at', { withTimezone: true }),
    /** A completed import whose matching against the watchlists is yet to be planned (watch_steps). */
    watchPending: boolean('watch_pending').notNull().default(false),
  },
  (t) => [
    // A file is imported once; an attempt that left the register unchanged does not count.
    // These predicates spell the state machine's groups (VOID_STATUSES, ACTIVE_STATUSES in
    // lib/imports/state/machine.ts) as SQL; lib/imports/state/machine.test.ts keeps them equal.
    // A preview changes nothing, so neither index counts one.
    uniqueIndex('import_jobs_sha256_idx').on(t.sha256).where(sql`not preview and status not in ('failed', 'cancelled', 'rolled_back', 'discarded')`),
    // One import at a time per dataset: updates apply strictly in sequence.
    uniqueIndex('import_jobs_one_active_idx')
      .on(t.dataset)
      .where(sql`not preview and status in ('preparing', 'running', 'paused', 'cancelling', 'rolling_back')`),
    oneOf('import_jobs_status_check', t.status, [
      'preparing',
      'running',
      'paused',
      'completed',
      'failed',
      'cancelling',
      'cancelled',
      'rolling_back',
      'rolled_back',
      'previewed',
      'discarded',
    ]),
    oneOf('import_jobs_mode_check', t.mode, ['initial', 'update', 'resync'], true),
    oneOf('import_jobs_extract_type_check', t.extractType, ['full', 'update'], true),
    oneOf('import_jobs_on_error_check', t.onError, ['continue', 'fail-fast']),
  ],
);

/** `resync`: one batch compares a range of keys of a FULL with the table's current rows. */
export type BatchOperation = 'delete' | 'insert' | 'replace' | 'resync';

export const importJobBatches = pgTable(
  'import_job_batches',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    jobId: integer('job_id')
      .notNull()
      .references(() => importJobs.id, { onDelete: 'cascade' }),
    tableName: text('table_name').notNull(),
    operation: text('operation').$type<BatchOperation>().notNull(),
    batchNumber: integer('batch_number').notNull(),
    /** One of BATCH_STATUSES, born `pending`; only the moves in lib/imports/state/ change it. */
    status: text('status').notNull().default('pending'),
    rowCount: integer('row_count').notNull(),
    attempts: integer('attempts').notNull().default(0),
    leaseToken: uuid('lease_token'),
    leaseExpiresAt: timestamp('lease_expires_at', { withTimezone: true }),
    startedAt: timestamp('started_at', { withTimezone: true }),
    completedAt: timestamp('completed_at', { withTimezone: true }),
    durationMs: integer('duration_ms'),
    rowsInserted: integer('rows_inserted'),
    rowsEnded: integer('rows_ended'),
    rowsUnchanged: integer('rows_unchanged'),
    rowsDuplicate: integer('rows_duplicate'),
    rowsNoop: integer('rows_noop'),
    errorMessage: text('error_message'),
    /**
     * `resync`: the first key of this batch's range (NULL for the first batch); the range ends
     * where the next batch's begins. Ranges follow the FULL's key order, as prepare reads it.
     */
    rangeStart: entityKey('range_start'),
    /**
     * The register partition (drizzle/0024) that holds every key of this batch, so it is
     * applied to that partition directly (lib/db/partitions.ts); NULL: keys of any partition.
     */
    partition: smallint('partition'),
  },
  (t) => [
    uniqueIndex('import_job_batches_key_idx').on(t.jobId, t.tableName, t.operation, t.batchNumber),
    index('import_job_batches_claim_idx').on(t.jobId, t.status),
    oneOf('import_job_batches_status_check', t.status, ['pending', 'processing', 'completed', 'failed']),
    oneOf('import_job_batches_operation_check', t.operation, ['delete', 'insert', 'replace', 'resync']),
  ],
);

export const importErrors = pgTable(
  'import_errors',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    jobId: integer('job_id')
      .notNull()
      .references(() => importJobs.id, { onDelete: 'cascade' }),
    file: text('file').notNull(),
    line: integer('line'),
    column: text('column'),
    value: text('value'),
    code: text('code').notNull(),
    message: text('message').notNull(),
  },
  (t) => [index('import_errors_job_idx').on(t.jobId)],
);

export type ImportJob = typeof importJobs.$inferSelect;
export type ImportJobBatch = typeof importJobBatches.$inferSelect;
export type ImportError = typeof importErrors.$inferSelect;

/** Failed sign-ins, counted per client key for the login rate limit. */
export const loginFailures = pgTable(
  'login_failures',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    /** The client's address as the trusted proxy saw it; null without one (TRUST_PROXY unset). */
    clientKey: text('client_key'),
    /** The user name tried. */
    userName: text('user_name'),
    /** The browser's device id, when it had signed in as that user before (lib/auth/session.ts); null: an unknown client. */
    device: text('device'),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('login_failures_key_idx').on(t.clientKey, t.at),
    index('login_failures_user_idx').on(t.userName, t.at),
    index('login_failures_device_idx').on(t.device, t.at),
    index('login_failures_at_idx').on(t.at),
  ],
);

/**
 * A browser that signed in as a user: its cookie (`kbo_device`) holds the random id. Its failed
 * sign-ins count on their own, so the user's limit for unknown clients never locks it out.
 */
export const authDevices = pgTable(
  'auth_devices',
  {
    id: text('id').primaryKey(),
    userName: text('user_name').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('auth_devices_used_idx').on(t.lastUsedAt)],
);

/** A signed-in session: its cookie names this row, so revoking the row ends the session at once. */
export const authSessions = pgTable(
  'auth_sessions',
  {
    id: text('id').primaryKey(),
    userName: text('user_name').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [index('auth_sessions_user_idx').on(t.userName), index('auth_sessions_expires_idx').on(t.expiresAt)],
);

/** One row per attempt at a batch: the log that shows each batch applied exactly once. */
export const importBatchAttempts = pgTable(
  'import_batch_attempts',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    batchId: bigint('batch_id', { mode: 'number' })
      .notNull()
      .references(() => importJobBatches.id, { onDelete: 'cascade' }),
    jobId: integer('job_id').notNull(),
    attempt: integer('attempt').notNull(),
    /** `completed` is written in the batch's own transaction, so it exists only if the batch was applied. */
    /** One of ATTEMPT's outcomes (lib/imports/state/machine.ts). */
    outcome: text('outcome').notNull(),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
    finishedAt: timestamp('finished_at', { withTimezone: true }).notNull().defaultNow(),
    error: text('error'),
  },
  (t) => [
    index('import_batch_attempts_batch_idx').on(t.batchId),
    index('import_batch_attempts_job_idx').on(t.jobId),
    oneOf('import_batch_attempts_outcome_check', t.outcome, ['completed', 'failed', 'retried', 'lease_lost', 'released']),
  ],
);

/**
 * A zip stored in the database, so that any server instance can read it in prepare steps.
 * Its bytes are kept as parts (each a bytea at an offset) and dropped once the job is done.
 */
export const importUploads = pgTable('import_uploads', {
  id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
  fileName: text('file_name').notNull(),
  size: bigint('size', { mode: 'number' }).notNull(),
  /** Empty until every byte is stored and the whole file's hash checked. */
  sha256: text('sha256').notNull(),
  /** An upload sent in parts (or fetched from a URL): the bytes per part; the last may be shorter. */
  partSize: integer('part_size'),
  /** Fetched from this URL, in steps, instead of sent by the client. */
  url: text('url'),
  /** Import options given when the upload was created, used when it completes. */
  options: jsonb('options').$type<Record<string, unknown>>().notNull().default({}),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});
export type ImportUpload = typeof importUploads.$inferSelect;

export const importUploadParts = pgTable(
  'import_upload_parts',
  {
    uploadId: integer('upload_id')
      .notNull()
      .references(() => importUploads.id, { onDelete: 'cascade' }),
    offset: bigint('offset', { mode: 'number' }).notNull(),
    /** The part's length in bytes. */
    bytes: integer('bytes').notNull().default(0),
    /** The bytes, or NULL when they are in the object store (IMPORT_STORE=s3) under `<prefix><upload id>/<offset>`. */
    data: bytea('data'),
  },
  (t) => [primaryKey({ columns: [t.uploadId, t.offset] })],
);

/**
 * One row per CSV file of a job: how far prepare steps have read it. A step locks the row,
 * stages rows from `bytes_done` on and moves the position in the same transaction, so a row
 * is never staged twice or skipped, whatever crashes.
 */
export const importJobFiles = pgTable(
  'import_job_files',
  {
    jobId: integer('job_id')
      .notNull()
      .references(() => importJobs.id, { onDelete: 'cascade' }),
    fileIndex: integer('file_index').notNull(),
    name: text('name').notNull(),
    tableName: text('table_name').notNull(),
    operation: text('operation').$type<BatchOperation>().notNull(),
    /** `stage` into staging for batches, or `direct`: COPY into the final table (a FULL into empty tables). */
    target: text('target').$type<'stage' | 'direct'>().notNull(),
    /** Batches this file's rows are spread over (by key hash); `stage` only. */
    batches: integer('batches').notNull(),
    declaredBytes: bigint('declared_bytes', { mode: 'number' }).notNull(),
    /** Uncompressed bytes consumed, always at a record boundary, and the line that starts there. */
    bytesDone: bigint('bytes_done', { mode: 'number' }).notNull().default(0),
    nextLine: integer('next_line').notNull().default(1),
    steps: integer('steps').notNull().default(0),
    rows: integer('rows').notNull().default(0),
    rejected: integer('rejected').notNull().default(0),
    duplicates: integer('duplicates').notNull().default(0),
    /** `direct`: the key of the last row and that key's rows so far, to drop repeats across steps. */
    runKey: text('run_key'),
    runRows: jsonb('run_rows').$type<string[]>(),
    /** `direct`: false once a key came out of order; finalize then removes repeats in SQL. */
    sorted: boolean('sorted').notNull().default(true),
    /**
     * `resync`: the first key of each batch after the first (ascending), the highest key read,
     * and the rows of the last batch so far; a new batch starts at a new highest key once the
     * last one holds a batch's worth of rows.
     */
    cuts: jsonb('cuts').$type<string[]>().notNull().default([]),
    maxKey: text('max_key'),
    openRows: integer('open_rows').notNull().default(0),
    /**
     * `resync` of a table large enough to be cut by partition (`batches` = the partitions): the
     * same three, per register partition, in its order. Its batch `p + partitions × j` is the
     * j-th range of partition p's keys.
     */
    partitionRanges: jsonb('partition_ranges').$type<{ cuts: string[]; maxKey: string | null; openRows: number }[]>(),
    done: boolean('done').notNull().default(false),
    /** When a prepare step last moved this file (a job nothing drives is noticed by it: lib/imports/jobs/stalls.ts). */
    stepAt: timestamp('step_at', { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.jobId, t.fileIndex] }),
    oneOf('import_job_files_operation_check', t.operation, ['delete', 'insert', 'replace', 'resync']),
    oneOf('import_job_files_target_check', t.target, ['stage', 'direct']),
  ],
);
export type ImportJobFile = typeof importJobFiles.$inferSelect;

/**
 * One sync with the KBO portal (lib/sync/): what it found, what it planned and did, and how it
 * ended. A scheduled check that finds nothing new only updates sync_state.
 */
export const syncRuns = pgTable(
  'sync_runs',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    /** `cli`, `cron` or `page`. */
    trigger: text('trigger').notNull(),
    /** `in_progress`, `up_to_date` or `error`. */
    outcome: text('outcome').notNull(),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    /** The extract the register was at when the run began (null: empty), and the portal's newest. */
    fromExtract: integer('from_extract'),
    newestOnPortal: integer('newest_on_portal'),
    /** The imports to run, in order: `{ name, number, type, date, kind }`. */
    plan: jsonb('plan').$type<{ name: string; number: number; type: string; date: string; kind: string }[]>().notNull().default([]),
    /** The import of each step once started: file name -> job id. */
    jobs: jsonb('jobs').$type<Record<string, number>>().notNull().default({}),
    error: text('error'),
  },
  (t) => [
    index('sync_runs_outcome_idx').on(t.outcome, t.id),
    oneOf('sync_runs_outcome_check', t.outcome, ['in_progress', 'up_to_date', 'error']),
    oneOf('sync_runs_trigger_check', t.trigger, ['cli', 'cron', 'page']),
  ],
);
export type SyncRun = typeof syncRuns.$inferSelect;

/** The sync's standing, one row (id 1): the last check of the portal, its lease, the last alert. */
export const syncState = pgTable('sync_state', {
  id: integer('id').primaryKey(),
  lastCheckAt: timestamp('last_check_at', { withTimezone: true }),
  /** `ok`, or the error the check met. */
  lastCheckOutcome: text('last_check_outcome'),
  newestOnPortal: integer('newest_on_portal'),
  newestDate: date('newest_date', { mode: 'string' }),
  /** Who holds the sync now, until when: two schedulers never sync at once. */
  leaseHolder: text('lease_holder'),
  leaseUntil: timestamp('lease_until', { withTimezone: true }),
  /** The last alert sent (kind and when), and the last one that could not be delivered. */
  lastAlertKind: text('last_alert_kind'),
  lastAlertAt: timestamp('last_alert_at', { withTimezone: true }),
  /** The last lag alert delivered: another waits a day while the lag lasts. */
  lastLagAlertAt: timestamp('last_lag_alert_at', { withTimezone: true }),
  alertUndelivered: text('alert_undelivered'),
}, (t) => [oneOf('sync_state_last_alert_kind_check', t.lastAlertKind, ['failure', 'lag', 'success'], true)]);

/**
 * The test-only fault plan (lib/imports/jobs/faults.ts), one row (id 1): what the next batches,
 * prepare steps and undo steps meet. Written by the suites straight into their own database;
 * read and acted on only by a server started with IMPORT_TEST_FAULTS=1.
 */
export const importTestFaults = pgTable('import_test_faults', {
  id: integer('id').primaryKey(),
  /** Fail the next N batch applications (of `tableName`, when set). */
  failBatches: integer('fail_batches').notNull().default(0),
  tableName: text('table_name'),
  /** The next N batch transactions fail as a serialization failure would (SQLSTATE 40001). */
  transientFailures: integer('transient_failures').notNull().default(0),
  /** Hold every batch this long inside its transaction, before applying it. */
  delayMs: integer('delay_ms').notNull().default(0),
  /** Hold every batch this long between its claim and its transaction (a slow driver). */
  stallMs: integer('stall_ms').notNull().default(0),
  /** Hold prepare this long before staging each file. */
  stageDelayMs: integer('stage_delay_ms').notNull().default(0),
  /** Hold each undo step this long before it starts. */
  undoDelayMs: integer('undo_delay_ms').notNull().default(0),
});

/**
 * What a completed import changed, worked out once in parts (lib/imports/jobs/change-list.ts)
 * and then read page by page: a part is a resync batch's key range of one table, or a whole
 * table of an UPDATE. Each part is taken and its rows written in one transaction.
 */
export const importChangeParts = pgTable(
  'import_change_parts',
  {
    jobId: integer('job_id')
      .notNull()
      .references(() => importJobs.id, { onDelete: 'cascade' }),
    part: integer('part').notNull(),
    tableName: text('table_name').notNull(),
    /** The key range [lo, hi) of a resync batch; null: open on that side. */
    lo: text('lo'),
    hi: text('hi'),
    /** The register partition a resync batch cut within one covers (its range is of that partition's keys); null: the whole table. */
    partition: integer('partition'),
    done: boolean('done').notNull().default(false),
    /**
     * Entities of the part the import re-issued unchanged (every row it ended it started again
     * as it was): not in the change list, counted here so the pages can say how many.
     */
    reissued: integer('reissued').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.jobId, t.part] })],
);

/** One entity of one table an import changed: the change list, in table order (`o`) and number. */
export const importChanges = pgTable(
  'import_changes',
  {
    jobId: integer('job_id')
      .notNull()
      .references(() => importJobs.id, { onDelete: 'cascade' }),
    o: smallint('o').notNull(),
    n: text('n').notNull(),
    t: text('t').notNull(),
    change: text('change').notNull(),
    started: integer('started').notNull(),
    ended: integer('ended').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.jobId, t.o, t.n] }),
    index('import_changes_number_idx').on(t.jobId, t.n),
    oneOf('import_changes_change_check', t.change, ['added', 'ended', 'modified']),
  ],
);

/**
 * The notifications outbox (lib/notify/): one row per event and channel, written in the
 * transaction that made the event (an import completed, a file refused, a batch failed, a job
 * stalled, a sync failed or lagged, a monitor's ping), so an event is recorded once whatever
 * the number of drivers (the unique key), and delivered by whichever process comes by next:
 * claimed with a lease, retried with backoff, every attempt's outcome kept on the row.
 */
export const notifications = pgTable(
  'notifications',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    /** What happened, once: `import:12:completed`, `import:12:batch:345:failed:2`, `sync:run:7:failed`… */
    eventKey: text('event_key').notNull(),
    /** One of NOTIFY_EVENTS (lib/notify/events.ts). */
    event: text('event').notNull(),
    /** `webhook`, `email` or `healthcheck`. */
    channel: text('channel').notNull(),
    /** Who it goes to, as a person reads it (the webhook's host, the addresses); the secret URL itself stays in the settings. */
    recipient: text('recipient').notNull(),
    jobId: integer('job_id').references(() => importJobs.id, { onDelete: 'cascade' }),
    syncRunId: integer('sync_run_id'),
    /** A watchlist's digest: sent to its own webhook (signed with its secret) or address. */
    watchlistId: integer('watchlist_id').references(() => watchlists.id, { onDelete: 'cascade' }),
    subject: text('subject').notNull(),
    text: text('text').notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull().default({}),
    /** `pending` (waiting for its next attempt), `sending` (claimed, lease until `lease_until`), `delivered`, `failed` (gave up). */
    status: text('status').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
    leaseUntil: timestamp('lease_until', { withTimezone: true }),
    lastError: text('last_error'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    deliveredAt: timestamp('delivered_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('notifications_event_idx').on(t.eventKey, t.channel),
    index('notifications_watchlist_idx').on(t.watchlistId),
    index('notifications_due_idx').on(t.nextAttemptAt).where(sql`status in ('pending', 'sending')`),
    index('notifications_job_idx').on(t.jobId),
    oneOf('notifications_status_check', t.status, ['pending', 'sending', 'delivered', 'failed']),
    oneOf('notifications_channel_check', t.channel, ['webhook', 'email', 'healthcheck']),
  ],
);
export type NotificationRow = typeof notifications.$inferSelect;

/**
 * API keys of programs (lib/auth/keys.ts): each its own, scoped to reading and watching, stored
 * as the SHA-256 of the key (the key itself is shown once, when it is made), with its last use;
 * a revoked key is refused at once.
 */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    name: text('name').notNull(),
    keyHash: text('key_hash').notNull(),
    /** The key's first characters, to tell keys apart on the page. */
    prefix: text('prefix').notNull(),
    scope: text('scope').notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('api_keys_hash_idx').on(t.keyHash), oneOf('api_keys_scope_check', t.scope, ['read'])],
);

/**
 * Watchlists (lib/watch/): a named list of entity numbers, a saved search of the register, or
 * both, kept by one user or API key (its `owner`), with where its digests go and the secret
 * that signs them.
 */
export const watchlists = pgTable('watchlists', {
  id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
  /** A user's name, or `key:<id>` for an API key. */
  owner: text('owner').notNull(),
  name: text('name').notNull(),
  /** The register's own filters: `{ q?, nace?, place?, form?, status? }` (null: numbers only). */
  search: jsonb('search').$type<{ q?: string; nace?: string; place?: string; form?: string; status?: string }>(),
  webhookUrl: text('webhook_url'),
  email: text('email'),
  /** Signs each webhook digest (HMAC-SHA256 of its body). */
  secret: text('secret').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/** The entity numbers a watchlist follows, in the register's own spelling. */
export const watchlistMembers = pgTable(
  'watchlist_members',
  {
    watchlistId: integer('watchlist_id')
      .notNull()
      .references(() => watchlists.id, { onDelete: 'cascade' }),
    number: text('number').notNull(),
  },
  (t) => [primaryKey({ columns: [t.watchlistId, t.number] }), index('watchlist_members_number_idx').on(t.number)],
);

/**
 * A completed import's matching against every watchlist at once, in steps (lib/watch/match.ts):
 * `subjects`, a range of the entities its change list names, each tied to the numbers it
 * concerns (watch_subjects); then `match`, a range of those numbers, each worked out once and
 * matched to every watchlist that follows it by number or by search; then `digest`, one per
 * watchlist with matches. Each range's step plans the next when it is taken.
 */
export const watchSteps = pgTable(
  'watch_steps',
  {
    jobId: integer('job_id')
      .notNull()
      .references(() => importJobs.id, { onDelete: 'cascade' }),
    phase: text('phase').notNull(),
    /** The range's place in its phase; a digest's, its watchlist's id. */
    part: integer('part').notNull(),
    /** The range [lo, hi) of numbers; null: open on that side. */
    lo: text('lo'),
    hi: text('hi'),
    /** A digest's watchlist. */
    watchlistId: integer('watchlist_id').references(() => watchlists.id, { onDelete: 'cascade' }),
    done: boolean('done').notNull().default(false),
  },
  (t) => [
    primaryKey({ columns: [t.jobId, t.phase, t.part] }),
    index('watch_steps_watchlist_idx').on(t.watchlistId),
    oneOf('watch_steps_phase_check', t.phase, ['subjects', 'match', 'digest']),
  ],
);

/** Each entity an import changed tied to the numbers it concerns: itself and, for an establishment's or a branch's, its enterprise. */
export const watchSubjects = pgTable(
  'watch_subjects',
  {
    jobId: integer('job_id')
      .notNull()
      .references(() => importJobs.id, { onDelete: 'cascade' }),
    subject: text('subject').notNull(),
    entity: text('entity').notNull(),
  },
  (t) => [primaryKey({ columns: [t.jobId, t.subject, t.entity] })],
);

/** The order of every watchlist's feed (watch_matches.feed_seq). */
export const watchFeedSeq = pgSequence('watch_feed_seq');

/**
 * What an import changed of a watched entity, per watchlist: the kind of change and the rows
 * the import started and ended of it, its establishments' and its branches' (`rows`), from which
 * each field before and after, each row added or ended, is said in words when it is read
 * (lib/watch/words.ts describeMatch). A rollback of the import withdraws it (`withdrawn_at`).
 */
export const watchMatches = pgTable(
  'watch_matches',
  {
    watchlistId: integer('watchlist_id')
      .notNull()
      .references(() => watchlists.id, { onDelete: 'cascade' }),
    jobId: integer('job_id')
      .notNull()
      .references(() => importJobs.id, { onDelete: 'cascade' }),
    extractNumber: integer('extract_number').notNull(),
    number: text('number').notNull(),
    kind: text('kind').notNull(),
    rows: jsonb('rows').$type<{ table: string; entity: string; started: Record<string, unknown>[]; ended: Record<string, unknown>[] }[]>().notNull(),
    withdrawnAt: timestamp('withdrawn_at', { withTimezone: true }),
    /** Its place in the watchlist's feed: taken when it is written, and again when it is withdrawn, so a poller hears of both. */
    feedSeq: bigint('feed_seq', { mode: 'number' }).notNull().default(sql`nextval('watch_feed_seq')`),
  },
  (t) => [
    primaryKey({ columns: [t.watchlistId, t.jobId, t.number] }),
    index('watch_matches_feed_idx').on(t.watchlistId, t.feedSeq),
    index('watch_matches_job_idx').on(t.jobId),
    oneOf('watch_matches_kind_check', t.kind, ['added', 'ended', 'modified']),
  ],
);
