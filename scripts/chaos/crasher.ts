/** PostgresCrasher: SIGKILLs the chaos test's own PostgreSQL, postmaster and backends at once, at a moment or a job status, then restarts it. */
import { BATCH, JOB, type JobStatus } from '../../lib/imports';
import type { Sql } from '../../lib/db/client';
import type { OwnPostgres } from '../../lib/db/embedded';
import { childrenOf } from './processes';

/** Moments of a completed import the test also aims at: its deferred indexes being built, its watchlists being matched. */
export type Phase = 'indexing' | 'matching';

/**
 * Crashes the dedicated PostgreSQL: SIGKILLs the postmaster and all its backends at once (as
 * a power cut would leave them), then starts it again, which runs crash recovery. Records
 * what the newest job was doing when it happened.
 */
export class PostgresCrasher {
  count = 0;
  private readonly during = new Map<string, number>();
  private pending: Promise<void> = Promise.resolve();

  constructor(
    private readonly pg: OwnPostgres,
    private readonly sql: Sql,
  ) {}

  /** Crashes it `delayMs` after `begun`, after any crash scheduled before. */
  schedule(label: string, begun: Promise<void>, delayMs: number): void {
    this.pending = this.pending
      .then(() => begun)
      .then(() => new Promise((r) => setTimeout(r, delayMs)))
      .then(() => this.crash(label));
  }

  /**
   * Crashes it as soon as a job is in `status` (for `running`, once a batch of it completed,
   * so the crash lands between batches applied and batches to come; `indexing`: a completed
   * FULL's deferred indexes are being built, some built and some not), unless the round is
   * `over` first. Resolves true when it crashed.
   */
  when(label: string, status: JobStatus | Phase, over: Promise<void>): Promise<boolean> {
    const hit = this.pending.then(async () => {
      if (!(await this.waitFor(status, over))) return false;
      await this.crash(label);
      return true;
    });
    this.pending = hit.then(() => undefined);
    return hit;
  }

  /** Polls until a job is in `status` (true) or the round is `over` (false). */
  async waitFor(status: JobStatus | Phase, over: Promise<void>): Promise<boolean> {
    let ended = false;
    void over.then(() => (ended = true));
    while (!ended) {
      if (await this.reached(status)) return true;
      await new Promise((r) => setTimeout(r, 20));
    }
    return false;
  }

  /** Whether a job is in `status` now (see `when`). */
  private async reached(status: JobStatus | Phase): Promise<boolean> {
    const [hit] = await (status === 'indexing'
      ? this.sql`
          select 1 from import_jobs j where j.indexing and j.status = ${JOB.completed} limit 1`
      : status === 'matching'
        ? // Under way: a step of an import's matching done, another not.
          this.sql`
          select 1 from watch_steps p where p.done and exists (select 1 from watch_steps q where q.job_id = p.job_id and not q.done) limit 1`
        : this.sql`
          select 1 from import_jobs j where j.status = ${status}
            and (j.status <> ${JOB.running} or exists (select 1 from import_job_batches b where b.job_id = j.id and b.status = ${BATCH.completed}))
          limit 1`
    ).catch(() => []);
    return Boolean(hit);
  }

  /** Waits for every crash scheduled to be over (the server up again). */
  settled(): Promise<void> {
    return this.pending;
  }

  private async crash(label: string): Promise<void> {
    const pid = this.pg.pid();
    if (!pid) return;
    const [job] = await this.sql<{ status: string }[]>`select status from import_jobs order by id desc limit 1`.catch(() => []);
    const backends = childrenOf(pid);
    for (const p of [pid, ...backends]) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    this.count++;
    const what = job?.status ?? 'none';
    this.during.set(what, (this.during.get(what) ?? 0) + 1);
    console.log(`  PostgreSQL killed (${label}, job ${what}, ${backends.length} backends)`);
    await new Promise((r) => setTimeout(r, 300 + Math.floor(Math.random() * 1_200)));
    await this.pg.restart();
  }

  summary(): string {
    return [...this.during].map(([status, n]) => `${status} ${n}`).join(', ') || 'none';
  }
}
