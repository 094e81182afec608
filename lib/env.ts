import { z } from 'zod';

const schema = z.object({
  DATABASE_URL: z.string().url().optional(),
  /** Port of the embedded PostgreSQL used when DATABASE_URL is not set. */
  EMBEDDED_PG_PORT: z.coerce.number().int().min(1024).max(65535).default(54329),
  /** Data directory of the embedded PostgreSQL (default ./.data/pg). */
  EMBEDDED_PG_DIR: z.string().optional(),
  /** Target rows per micro-batch. */
  IMPORT_BATCH_SIZE: z.coerce.number().int().min(100).max(200_000).default(5_000),
  /** How long a claimed batch stays leased without a heartbeat from its driver before another driver may take it over. */
  IMPORT_LEASE_SECONDS: z.coerce.number().int().min(3).max(3_600).default(10),
  /** Bad rows by default: `continue` rejects them into import_errors and imports the rest; `fail-fast` refuses the file. */
  IMPORT_ON_ERROR: z.enum(['continue', 'fail-fast']).default('continue'),
  /** In `continue` mode, fail an import past this many rejected rows (unset: no count limit). */
  IMPORT_MAX_REJECTED: z.coerce.number().int().min(0).optional(),
  /** …or past this percentage of all rows read. */
  IMPORT_MAX_REJECTED_PERCENT: z.coerce.number().min(0).max(100).default(1),
  /** Rows one undo step (cancel, rollback) removes or restores per table, in one transaction. */
  IMPORT_UNDO_CHUNK_ROWS: z.coerce.number().int().min(1).max(1_000_000).default(20_000),
  /** A FULL into an empty register whose CSV files hold at least this many MB loads first and builds its indexes after, a partition at a time (lib/imports/jobs/indexes.ts). */
  IMPORT_DEFER_INDEXES_MB: z.coerce.number().min(0).max(1_000_000).default(64),
  /** A preview (dry run) left alone this many hours after it was worked out is discarded, its staging dropped. */
  PREVIEW_TTL_HOURS: z.coerce.number().min(0.001).max(24 * 30).default(24),
  /** How long one step call keeps claiming further batches. */
  IMPORT_BATCH_BUDGET_MS: z.coerce.number().int().min(0).max(60_000).default(1_500),
  /** Test-only fault switch: `1` makes batches, prepare and undo meet the plan the suites write into import_test_faults; never set it in production. */
  IMPORT_TEST_FAULTS: z
    .enum(['0', '1'])
    .default('0')
    .transform((v) => v === '1'),
  /** Password of the admin user `admin` (required: without any password, nobody can sign in). */
  ADMIN_PASSWORD: z.string().min(8, 'use at least 8 characters').optional(),
  /** More admins: `alice:password1,bob:password2`. */
  ADMIN_USERS: z.string().optional(),
  /** Readers, `name:password,…`: they search the register, read entities and change lists and keep watchlists, never import or control. */
  READER_USERS: z.string().optional(),
  /** Key that signs session cookies (at least 32 characters); derived from the credentials when unset. */
  SESSION_SECRET: z.string().min(32).optional(),
  /** Bearer token for the CLI over HTTP and the cron route (at least 24 characters); unset: no bearer access. */
  API_TOKEN: z.string().min(24).optional(),
  /**
   * How many reverse proxies stand in front and add to X-Forwarded-For (`1` for one); their
   * X-Forwarded-Host/-Proto are then believed, and sign-in limits also count per client
   * address (the one the nearest proxy wrote). `0`: none is trusted.
   */
  TRUST_PROXY: z.coerce.number().int().min(0).max(10).default(0),
  /** Uploads begun and not yet completed, at most (a client's and URL fetches; the sync's own are apart): one more is refused until one completes, is discarded, or is dropped a day after it began. */
  MAX_OPEN_UPLOADS: z.coerce.number().int().min(1).max(1_000).default(20),
  /** Largest upload accepted, in MB. */
  MAX_UPLOAD_MB: z.coerce.number().int().min(1).max(4_096).default(512),
  /**
   * Bytes per part of an upload sent in parts (and of a zip fetched from a URL); the browser
   * sends a zip larger than this in parts. Keep it under the host's request-body limit: the
   * default 4 MiB fits the 4.5 MB of the most common serverless host.
   */
  IMPORT_PART_BYTES: z.coerce.number().int().min(4 * 1024).max(64 * 1024 * 1024).default(4 * 1024 * 1024),
  /** Where uploaded zips are kept until their import ends: `database` (default, no other service) or `s3`. */
  IMPORT_STORE: z.enum(['database', 's3']).default('database'),
  /** The S3-compatible object store, with IMPORT_STORE=s3 (addressed path-style: endpoint/bucket/key). */
  S3_ENDPOINT: z.string().url().optional(),
  S3_BUCKET: z.string().min(1).optional(),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  /** Key prefix of the parts: `<prefix><upload id>/<offset>`. */
  S3_PREFIX: z.string().default('kbo-uploads/'),
  /**
   * Hosts a zip may be fetched from even though they are on a loopback, private or link-local
   * address (comma-separated, as written in the URL: `files.internal,10.0.0.5`). Others are refused.
   */
  IMPORT_FETCH_ALLOW_HOSTS: z.string().optional(),
  /** Hosts a watchlist's webhook may be on although private (tests, a closed network); comma-separated. */
  WATCH_WEBHOOK_ALLOW_HOSTS: z.string().optional(),
  /** Entities of an import's change list (then numbers they concern) one watchlist-matching step takes. */
  WATCH_PART_SIZE: z.coerce.number().int().min(1).max(100_000).default(1_000),
  /** A matching phase of more ranges than this is cut as its steps are taken, not planned at once. */
  WATCH_PLAN_PARTS: z.coerce.number().int().min(1).max(100_000).default(100),
  /** The KBO Open Data portal a sync fetches from, and the account it logs in with (both or neither). */
  KBO_PORTAL_URL: z.string().url().default('https://kbopub.economie.fgov.be/kbo-open-data'),
  KBO_PORTAL_USER: z.string().min(1).optional(),
  KBO_PORTAL_PASSWORD: z.string().min(1).optional(),
  /** Sync alerts: a JSON POST (with a Slack-compatible `text`) on a failed sync and when the register lags. */
  SYNC_WEBHOOK_URL: z.string().url().optional(),
  /** Alert when the register is more than this many days behind the portal's newest extract. */
  SYNC_MAX_LAG_DAYS: z.coerce.number().min(0).max(365).default(2),
  /** Also alert when a sync brings the register up to date (`1`). */
  SYNC_ALERT_ON_SUCCESS: z
    .enum(['0', '1'])
    .default('0')
    .transform((v) => v === '1'),
  /** A scheduled sync asks the portal's listing at most this often, in minutes. */
  SYNC_CHECK_MINUTES: z.coerce.number().int().min(1).max(1440).default(10),
  /**
   * Notifications (lib/notify/): where a JSON POST (with a Slack-compatible `text`) goes when an
   * import completes, fails or stalls (default: SYNC_WEBHOOK_URL, which the sync's alerts use).
   */
  NOTIFY_WEBHOOK_URL: z.string().url().optional(),
  /** Email through this SMTP server (`smtp://user:pass@host:587`, `smtps://…:465`); with NOTIFY_EMAIL_TO. */
  SMTP_URL: z.string().url().optional(),
  /** Comma-separated addresses notifications are emailed to. */
  NOTIFY_EMAIL_TO: z.string().min(3).optional(),
  /** The sender of those emails. */
  NOTIFY_EMAIL_FROM: z.string().min(3).default('KBO import <kbo-import@localhost>'),
  /** A job with work left that nothing drove for this many minutes is reported stalled (by the cron). */
  NOTIFY_STALL_MINUTES: z.coerce.number().min(0.01).max(10_080).default(30),
  /** A notification that could not be delivered is tried again after this many seconds, doubling each time (at most an hour apart). */
  NOTIFY_RETRY_SECONDS: z.coerce.number().min(0.01).max(3_600).default(30),
  /** …and given up after this many attempts. */
  NOTIFY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(12),
  /** A monitor outside the app (healthchecks.io and its peers): each sync run pings `<url>/start`, then `<url>` or `<url>/fail`. */
  HEALTHCHECK_URL: z.string().url().optional(),
  /** The app's public address, for the links in notifications (`https://kbo.example.org`); without it they are paths. */
  APP_URL: z.string().url().optional(),
  /** Pool size of the one postgres.js client. */
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(100).default(10),
});

export type Env = z.infer<typeof schema>;

let cached: Env | undefined;

/**
 * A setting that cannot be used, said in one line (its stack is that line too, so whatever
 * prints it, the CLI, a script or the server log, shows no stack trace).
 */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.stack = message;
  }
}
ConfigError.prototype.name = 'ConfigError';

/**
 * Settings whose values may be shown in an error: numbers, switches and choices. Every other
 * value (passwords, tokens, secrets, and URLs, which may carry credentials or a webhook's
 * token) is never printed: the message names the variable and the rule.
 */
const SHOWN = new Set<string>(
  Object.entries(schema.shape)
    .filter(([, field]) => !(unwrapped(field) instanceof z.ZodString))
    .map(([name]) => name),
);

function unwrapped(field: z.ZodType): z.ZodType {
  let f = field as z.ZodType & { unwrap?: () => z.ZodType; def?: { in?: z.ZodType; innerType?: z.ZodType } };
  for (let i = 0; i < 5; i++) {
    const inner = f.def?.innerType ?? f.def?.in;
    if (!inner) break;
    f = inner as typeof f;
  }
  return f;
}

/**
 * The settings of `source` (process.env), checked. A bad value fails in one line naming the
 * variable and the rule, and its value only when it is a number, a switch or a choice.
 */
export function parseEnv(source: Record<string, string | undefined>): Env {
  const parsed = schema.safeParse(source);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => {
    const name = i.path.join('.');
    const value = SHOWN.has(name) ? `=${JSON.stringify(source[name] ?? '')}` : ' (value not shown)';
    return `${name}${value}: ${i.message}`;
  });
  throw new ConfigError(`Invalid configuration: ${problems.join('; ')}. Fix it in the environment or .env.local (docs/configuration.md).`);
}

/** process.env parsed once (parseEnv); a bad value fails loudly at first use. */
export function env(): Env {
  cached ??= parseEnv(process.env);
  return cached;
}
