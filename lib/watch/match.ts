import type { Queryable, Sql, Tx } from '../db/client';
import { eachPartition, ident, unionAll, forShortSteps, type Fragment } from '../db/sql';
import { env } from '../env';
import { KBO_TABLES } from '../kbo/spec';
import { ENTERPRISE_NUMBER } from '../kbo/values';
import { followers, matchedFor, type Hit, type Job } from './followers';
import { stood } from './search';
import { movedRows } from './moved';
import { digest } from './digest';

/**
 * Matching a completed import's changes against every watchlist at once, after its change list
 * is worked out, in steps a driver takes one at a time like everything else (the page, the CLI,
 * the cron), each in a transaction of its own:
 *
 * 1. `subjects`: a range of WATCH_PART_SIZE entities the change list names (for a FULL into an
 *    empty register, that it loaded), each tied to the numbers it concerns: itself, and an
 *    establishment's or a branch's enterprise (watch_subjects).
 * 2. `match`: a range of WATCH_PART_SIZE of those numbers. Which watchlists follow each (by
 *    number, or by a saved search that held for it before or after the import) is read once for
 *    all of them; what changed is worked out once per number followed, and written for each
 *    watchlist that follows it.
 * 3. `digest`: one per watchlist with matches.
 *
 * Which entities changed comes from the change list (import_changes: rows re-issued unchanged
 * are no change there); what changed, from the rows the import started and ended for them,
 * netted the same way: a field before and after where one row of a one-row table was replaced,
 * each row added or ended otherwise. The register's tables are read a branch per partition
 * (eachPartition), and never with JIT nor parallel workers (forShortSteps).
 */

/** Entities, then numbers, per step. */
const partSize = () => env().WATCH_PART_SIZE;
const TABLE_ORDER = KBO_TABLES.map((t) => t.table);

type Phase = 'subjects' | 'match' | 'digest';
type Step = { phase: Phase; part: number; lo: string | null; hi: string | null; watchlist_id: number | null };

/**
 * Plans a completed import's matching, once (the job's `watch_pending`): its first steps, when
 * there are watchlists to match. In the caller's transaction, which holds the job's row.
 */
export async function planMatching(tx: Tx, jobId: number): Promise<void> {
  const [job] = await tx<{ initial: boolean; any: boolean }[]>`
    select mode = 'initial' as initial, exists (select 1 from watchlists w where ${matchedFor(tx, jobId)}) as any from import_jobs where id = ${jobId}`;
  if (job?.any) await planRanges(tx, jobId, 'subjects', job.initial ? null : tx`select distinct n as k from import_changes where job_id = ${jobId}`);
  await tx`update import_jobs set watch_pending = false where id = ${jobId}`;
}

/**
 * A phase's steps: a range of WATCH_PART_SIZE of `keys` each, planned at once (every
 * WATCH_PART_SIZE-th key) so that drivers take them side by side. A phase of more than
 * WATCH_PLAN_PARTS ranges (a FULL into an empty register, whose keys are the register's; the
 * NACE spike's change list), where numbering every key would not fit a step, gets its first
 * step only, and each plans the next as it is taken.
 */
async function planRanges(tx: Tx, jobId: number, phase: Phase, keys: Fragment | null): Promise<void> {
  const most = env().WATCH_PLAN_PARTS * partSize();
  const [few] = keys ? await tx<{ few: boolean }[]>`select count(*) <= ${most} as few from (${keys} limit ${most + 1}) x` : [];
  if (!few?.few) {
    await tx`insert into watch_steps (job_id, phase, part) values (${jobId}, ${phase}, 0) on conflict do nothing`;
    return;
  }
  const cuts = await tx<{ k: string }[]>`
    select k from (select k, row_number() over (order by k) as rn from (${keys}) x) r where (rn - 1) % ${partSize()} = 0 and rn > 1 order by k`;
  const bounds = [null, ...cuts.map((c) => c.k), null];
  await tx`
    insert into watch_steps (job_id, phase, part, lo, hi)
    select ${jobId}, ${phase}, p.i - 1, p.lo, p.hi
    from unnest(${bounds.slice(0, -1)}::text[], ${bounds.slice(1)}::text[]) with ordinality as p(lo, hi, i)
    on conflict do nothing`;
}

/**
 * A step's keys: its own range [lo, hi) when it has an end; otherwise (the last range, or one
 * cut as it is taken) the next WATCH_PART_SIZE from `lo`, and when there are more, the step's row
 * gets its end and the next step is planned. A range planned at once never holds more than
 * WATCH_PART_SIZE, so its last one plans nothing.
 */
async function stepKeys(tx: Tx, job: Job, step: Step, read: (limit: number | null) => Promise<{ n: string }[]>): Promise<string[]> {
  if (step.hi !== null) return [...new Set((await read(null)).map((r) => r.n))];
  const size = partSize();
  const rows = await read(size + 1);
  const next = rows.length > size ? (rows[size] as { n: string }).n : null;
  if (next !== null) {
    await tx`update watch_steps set hi = ${next} where job_id = ${job.id} and phase = ${step.phase} and part = ${step.part}`;
    await tx`insert into watch_steps (job_id, phase, part, lo) values (${job.id}, ${step.phase}, ${step.part + 1}, ${next}) on conflict do nothing`;
  }
  return [...new Set((next === null ? rows : rows.slice(0, size)).map((r) => r.n))];
}

/** `key >= lo and key < hi` of a step, either side open when null. */
const within = (tx: Tx, key: Fragment, step: Step) =>
  tx`(${step.lo}::text is null or ${key} >= ${step.lo}) and (${step.hi}::text is null or ${key} < ${step.hi})`;

/** Step 1: a range of the changed entities, each tied to itself and to its enterprise (as either stood on one side of the import or the other). */
async function subjectsStep(tx: Tx, job: Job, step: Step): Promise<void> {
  const n = job.n;
  // Entities, not entries (an entity has one per table it changed in); for a FULL into an empty
  // register, the enterprises, establishments and branches that stood after it: a row current,
  // or ended by a later extract (an UPDATE applied while this matching ran), each side walking
  // its own index of the key.
  const cap = (limit: number | null) => (limit === null ? tx`` : tx`limit ${limit}`);
  const loaded = (table: string, key: string, limit: number | null) => tx`
    (select x.${tx(key)} as n from ${tx(table)} x where x.is_current and x.extract_number <= ${n} and ${within(tx, tx`x.${tx(key)}`, step)}
     order by 1 ${cap(limit)})
    union all
    (select x.${tx(key)} from ${tx(table)} x where not x.is_current and x.extract_number <= ${n} and x.deleted_at_extract > ${n} and ${within(tx, tx`x.${tx(key)}`, step)}
     order by 1 ${cap(limit)})`;
  const entities = await stepKeys(tx, job, step, (limit) =>
    job.initial
      ? tx<{ n: string }[]>`
          select distinct n from (${loaded('enterprises', 'enterprise_number', limit)} union all ${loaded('establishments', 'establishment_number', limit)}
                         union all ${loaded('branches', 'branch_id', limit)}) x
          order by n ${cap(limit)}`
      : tx<{ n: string }[]>`
          select distinct c.n from import_changes c where c.job_id = ${job.id} and ${within(tx, tx`c.n`, step)} order by 1 ${limit === null ? tx`` : tx`limit ${limit}`}`,
  );
  const either = stood(tx, 'x', n, 'either');
  // An enterprise's number has its own shape (checked as every file is read): it is no establishment or branch.
  const parts = entities.filter((x) => !ENTERPRISE_NUMBER.test(x));
  const establishments = eachPartition(tx, 'establishments', parts, (p, keys) => tx`
    select x.enterprise_number as subject, x.establishment_number as entity from ${p} x
    where x.establishment_number = any(${keys}::text[]) and ${either} and x.enterprise_number is not null`);
  const branches = eachPartition(tx, 'branches', parts, (p, keys) => tx`
    select x.enterprise_number as subject, x.branch_id as entity from ${p} x
    where x.branch_id = any(${keys}::text[]) and ${either} and x.enterprise_number is not null`);
  const ties = establishments && branches ? await tx<{ subject: string; entity: string }[]>`${establishments} union all ${branches}` : [];
  const subjects = [...entities, ...ties.map((t) => t.subject)];
  const tied = [...entities, ...ties.map((t) => t.entity)];
  if (subjects.length > 0) {
    await tx`
      insert into watch_subjects (job_id, subject, entity)
      select ${job.id}, s, e from unnest(${subjects}::text[], ${tied}::text[]) as t(s, e) on conflict do nothing`;
  }
}

/**
 * What the import did to each number followed: its change-list entries and those of its
 * establishments and branches (for a FULL into an empty register, which lists none, every table
 * that has their rows: all added).
 */
async function entriesOf(tx: Tx, job: Job, numbers: string[]): Promise<{ t: string; n: string; change: string; subject: string }[]> {
  if (!job.initial) {
    return tx<{ t: string; n: string; change: string; subject: string }[]>`
      select c.t, c.n, c.change, s.subject from watch_subjects s join import_changes c on c.job_id = s.job_id and c.n = s.entity
      where s.job_id = ${job.id} and s.subject = any(${numbers}::text[])`;
  }
  const tied = await tx<{ subject: string; entity: string }[]>`
    select subject, entity from watch_subjects where job_id = ${job.id} and subject = any(${numbers}::text[])`;
  const subjectsOf = new Map<string, string[]>();
  for (const t of tied) subjectsOf.set(t.entity, [...(subjectsOf.get(t.entity) ?? []), t.subject]);
  const branches = KBO_TABLES.flatMap((spec) => {
    const q = eachPartition(tx, spec.table, subjectsOf.keys(), (p, keys) => tx`
      select distinct ${spec.table}::text as t, x.${ident(tx, spec.key)} as n from ${p} x where x.${ident(tx, spec.key)} = any(${keys}::text[]) and x.extract_number = ${job.n}`);
    return q ? [q] : [];
  });
  if (branches.length === 0) return [];
  const found = await tx<{ t: string; n: string }[]>`${unionAll(tx, branches)}`;
  return found.flatMap((c) => (subjectsOf.get(c.n) ?? []).map((subject) => ({ ...c, change: 'added', subject })));
}

/** Step 2: a range of the numbers the import concerns, matched to every watchlist that follows them. */
async function matchStep(tx: Tx, job: Job, step: Step): Promise<void> {
  const numbers = await stepKeys(tx, job, step, (limit) => tx<{ n: string }[]>`
    select distinct subject as n from watch_subjects where job_id = ${job.id} and ${within(tx, tx`subject`, step)}
    order by 1 ${limit === null ? tx`` : tx`limit ${limit}`}`);
  const hits = numbers.length > 0 ? await followers(tx, job, numbers) : [];
  if (hits.length > 0) await writeMatches(tx, job, hits);
  // Their ties are done with (a FULL into an empty register has millions: each step drops its own).
  if (numbers.length > 0) await tx`delete from watch_subjects where job_id = ${job.id} and subject = any(${numbers}::text[])`;
}

/**
 * What changed of each number followed, worked out once and written for each watchlist that
 * follows it, in one statement: the rows the import moved are netted, grouped per entity (in
 * jsonb's order) and per number (in the tables' order, then the entities': the same import
 * says the same words anywhere) where they are read, and never leave the database. The words
 * are said from them when a match is read (describeMatch).
 */
async function writeMatches(tx: Tx, job: Job, hits: Hit[]): Promise<void> {
  const changed = await entriesOf(tx, job, [...new Set(hits.map((h) => h.number))]);
  const moved = movedRows(tx, job.n, changed);
  if (!moved) return;
  await tx`
    with e as (
      select * from unnest(${changed.map((c) => c.t)}::text[], ${changed.map((c) => c.n)}::text[], ${changed.map((c) => c.change)}::text[], ${changed.map((c) => c.subject)}::text[]) as e(t, n, change, subject)),
    m as (${moved}),
    per as (
      select t, k, coalesce(jsonb_agg(r order by r) filter (where s), '[]') as started, coalesce(jsonb_agg(r order by r) filter (where not s), '[]') as ended
      from m group by t, k),
    c as (
      select e.subject as number,
             coalesce(min(e.change) filter (where e.n = e.subject and e.t in ('enterprises', 'establishments', 'branches')), 'modified') as kind,
             jsonb_agg(jsonb_build_object('table', e.t, 'entity', e.n, 'started', coalesce(p.started, '[]'), 'ended', coalesce(p.ended, '[]'))
                       order by array_position(${TABLE_ORDER}::text[], e.t), e.n collate "C") as rows
      from e left join per p on p.t = e.t and p.k = e.n
      group by e.subject)
    insert into watch_matches (watchlist_id, job_id, extract_number, number, kind, rows)
    select h.watchlist, ${job.id}, ${job.n}, c.number, c.kind, c.rows
    from unnest(${hits.map((h) => h.watchlist)}::int[], ${hits.map((h) => h.number)}::text[]) as h(watchlist, number) join c on c.number = h.number
    on conflict do nothing`;
}

/**
 * Whether `step` ended its phase: none of the phase left, and its last range done (the drivers
 * that mark its last steps take a lock per job and phase after marking theirs, so the one that
 * comes last sees every step done). That one plans the next phase.
 */
async function phaseEnded(tx: Tx, job: Job, step: Step): Promise<boolean> {
  await tx`select pg_advisory_xact_lock(hashtext(${`kbo-watch-phase:${job.id}:${step.phase}`}))`;
  const [r] = await tx<{ ended: boolean }[]>`
    select not exists (select 1 from watch_steps where job_id = ${job.id} and phase = ${step.phase} and not done)
       and exists (select 1 from watch_steps where job_id = ${job.id} and phase = ${step.phase} and done and hi is null) as ended`;
  return Boolean(r?.ended);
}

/**
 * Takes one step not yet done (another driver's is skipped) and writes what it found and its
 * mark in the caller's transaction: a crash leaves it for the next driver, and nothing is
 * written twice. False when none is left (or the one left waits on a watchlist being changed).
 */
export async function matchPart(tx: Tx, jobId: number): Promise<boolean> {
  const [j] = await tx<{ n: number; initial: boolean }[]>`
    select extract_number as n, mode = 'initial' as initial from import_jobs where id = ${jobId} and status = 'completed' for key share`;
  if (!j) return false;
  const [step] = await tx<Step[]>`
    select phase, part, lo, hi, watchlist_id from watch_steps where job_id = ${jobId} and not done
    order by part limit 1 for update skip locked`;
  if (!step) return false;
  const job: Job = { id: jobId, n: j.n, initial: j.initial };
  await forShortSteps(tx);
  if (step.phase === 'subjects') await subjectsStep(tx, job, step);
  else if (step.phase === 'match') await matchStep(tx, job, step);
  else if (step.watchlist_id !== null && !(await digest(tx, jobId, job.n, step.watchlist_id))) return false;
  await tx`update watch_steps set done = true where job_id = ${jobId} and phase = ${step.phase} and part = ${step.part}`;
  if (step.phase === 'subjects' && (await phaseEnded(tx, job, step))) {
    await planRanges(tx, jobId, 'match', tx`select distinct subject as k from watch_subjects where job_id = ${jobId}`);
  } else if (step.phase === 'match' && (await phaseEnded(tx, job, step))) {
    // A digest for each watchlist with matches (locked, so that one deleted meanwhile is not planned).
    const lists = await tx<{ id: number }[]>`
      select w.id from watchlists w where w.id in (select distinct watchlist_id from watch_matches where job_id = ${jobId}) order by w.id for key share`;
    if (lists.length > 0) {
      await tx`
        insert into watch_steps (job_id, phase, part, watchlist_id)
        select ${jobId}, 'digest', id, id from unnest(${lists.map((w) => w.id)}::int[]) as id on conflict do nothing`;
    }
  }
  return true;
}

/** How far a job's matching has come: steps done of those planned so far (a phase's are planned as the one before ends; 0 of 0: nothing to match). */
export async function matchingProgress(sql: Queryable, jobId: number): Promise<{ done: number; total: number; pending: boolean }> {
  const [r] = await sql<{ done: number; total: number; pending: boolean }[]>`
    select (select count(*) filter (where done) from watch_steps where job_id = ${jobId})::int as done,
           (select count(*) from watch_steps where job_id = ${jobId})::int as total,
           (select watch_pending from import_jobs where id = ${jobId}) as pending`;
  return { done: r?.done ?? 0, total: r?.total ?? 0, pending: Boolean(r?.pending) };
}

/** Matching steps for a completed job until `deadline` (at least one with `atLeastOne`): plan once, then a part each. */
export async function matchSteps(sql: Sql, jobId: number, deadline: number, atLeastOne = false): Promise<number> {
  let done = 0;
  const [first] = await sql<{ pending: boolean }[]>`select watch_pending as pending from import_jobs where id = ${jobId}`;
  if (first?.pending) {
    await sql.begin(async (tx) => {
      const [job] = await tx<{ pending: boolean }[]>`
        select watch_pending as pending from import_jobs where id = ${jobId} and status = 'completed' for update`;
      if (!job?.pending) return;
      await planMatching(tx, jobId);
    });
  }
  while (Date.now() < deadline || (atLeastOne && done === 0)) {
    if (!(await sql.begin((tx) => matchPart(tx, jobId)))) break;
    done++;
  }
  return done;
}
