import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PgDialect, getTableConfig } from 'drizzle-orm/pg-core';
import { describe, expect, it } from 'vitest';
import { allowedValues } from '../../db/checks';
import type { BatchOperation } from '../../db/schema';
import { importBatchAttempts, importJobBatches, importJobFiles, importJobs } from '../../db/schema';
import {
  ACTIVE_STATUSES,
  actionsFor,
  ATTEMPT,
  BATCH,
  BATCH_STATUSES,
  BATCH_MOVES,
  diagram,
  JOB,
  JOB_MOVES,
  JOB_STATUSES,
  TERMINAL_STATUSES,
  VOID_STATUSES,
  WAITING_STATUSES,
  type JobStatus,
} from './machine';

const facts = { latestAndIdle: true, failedBatches: 1, allBatchesDone: true };

describe('the job state machine', () => {
  it('every status is exactly one of active, waiting (a preview worked out) or terminal', () => {
    for (const s of JOB_STATUSES) expect([ACTIVE_STATUSES, WAITING_STATUSES, TERMINAL_STATUSES].filter((g) => g.includes(s))).toHaveLength(1);
    for (const s of VOID_STATUSES) expect(TERMINAL_STATUSES).toContain(s);
  });

  it('no move leaves a terminal status but rollback (completed -> rolling_back)', () => {
    for (const [name, m] of Object.entries(JOB_MOVES)) {
      const fromTerminal = m.from.some((s) => TERMINAL_STATUSES.includes(s));
      expect(fromTerminal ? name : 'ok').toBe(fromTerminal ? 'rollback' : 'ok');
    }
  });

  it('a preview is discarded, never cancelled, and applied once worked out', () => {
    const preview = { ...facts, preview: true };
    for (const s of JOB_STATUSES) {
      expect(actionsFor(s, preview).cancel).toBe(false);
      expect(actionsFor(s, preview).discard).toBe((JOB_MOVES.discard.from as readonly JobStatus[]).includes(s));
      expect(actionsFor(s, preview).apply).toBe(s === JOB.previewed);
      expect(actionsFor(s, facts)).toMatchObject({ apply: false, discard: false });
    }
  });

  it('offers an action only where its move can start', () => {
    for (const s of JOB_STATUSES) {
      const a = actionsFor(s, facts);
      expect(actionsFor(s, { ...facts, allBatchesDone: false }).pause).toBe([...JOB_MOVES.pause.from, ...JOB_MOVES.pauseUndo.from].includes(s as never));
      expect(a.resume).toBe((JOB_MOVES.resume.from as readonly JobStatus[]).includes(s));
      expect(a.cancel).toBe((JOB_MOVES.cancel.from as readonly JobStatus[]).includes(s));
      expect(a.rollback).toBe((JOB_MOVES.rollback.from as readonly JobStatus[]).includes(s));
      expect(a.finalize).toBe((JOB_MOVES.finalize.from as readonly JobStatus[]).includes(s));
    }
    expect(actionsFor(JOB.completed, { ...facts, latestAndIdle: false }).rollback).toBe(false);
    expect(actionsFor(JOB.running, { ...facts, allBatchesDone: false }).finalize).toBe(false);
    // Every batch done: nothing left to pause, finalize is next.
    expect(actionsFor(JOB.running, { ...facts, allBatchesDone: true })).toMatchObject({ pause: false, finalize: true });
    expect(actionsFor(JOB.running, { ...facts, allBatchesDone: false }).pause).toBe(true);
    expect(actionsFor(JOB.running, { ...facts, failedBatches: 0 }).retry).toBe(false);
    // A paused undo can only be resumed.
    expect(actionsFor(JOB.paused, { ...facts, undoPaused: true })).toMatchObject({ resume: true, cancel: false, retry: false });
  });

  it('the unique indexes spell the same groups as the machine', () => {
    const dialect = new PgDialect();
    const where = (name: string) => {
      const index = getTableConfig(importJobs).indexes.find((i) => i.config.name === name);
      return dialect.sqlToQuery(index?.config.where as never).sql;
    };
    const list = (xs: readonly string[]) => xs.map((x) => `'${x}'`).join(', ');
    expect(where('import_jobs_sha256_idx')).toBe(`not preview and status not in (${list(VOID_STATUSES)})`);
    expect(where('import_jobs_one_active_idx')).toBe(`not preview and status in (${list(ACTIVE_STATUSES)})`);
    const status = getTableConfig(importJobBatches).columns.find((c) => c.name === 'status');
    expect(status?.default).toBe(BATCH.pending);
  });

  it('the database allows exactly the statuses and outcomes the machine defines', () => {
    expect(allowedValues(importJobs, 'import_jobs_status_check')).toEqual([...JOB_STATUSES]);
    expect(allowedValues(importJobBatches, 'import_job_batches_status_check')).toEqual([...BATCH_STATUSES]);
    expect(allowedValues(importBatchAttempts, 'import_batch_attempts_outcome_check')).toEqual(Object.values(ATTEMPT));
    const operations: BatchOperation[] = ['delete', 'insert', 'replace', 'resync'];
    expect(allowedValues(importJobBatches, 'import_job_batches_operation_check')).toEqual(operations);
    expect(allowedValues(importJobFiles, 'import_job_files_operation_check')).toEqual(operations);
  });

  it('the diagrams in the READMEs are the ones the moves draw', () => {
    for (const file of ['docs/imports.md', 'lib/imports/README.md']) {
      const text = readFileSync(path.resolve(import.meta.dirname, '../../..', file), 'utf8');
      expect(text, file).toContain(diagram(JOB_MOVES));
      expect(text, file).toContain(diagram(BATCH_MOVES));
    }
  });
});
