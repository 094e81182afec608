import { DATA_TABLES, type TableName } from '../../kbo/spec';
import type { Tx } from '../../db/client';
import type { ImportMode } from '../../db/schema';
import { ident } from '../../db/sql';
import { ImportFailure } from '../../errors';
import type { OpenedExtract } from '../read/zip';
import { activeJob, jobOfFile, jobThatApplied, lastCompletedExtract, latestAppliedExtract } from '../sql/jobs';
import { isActive, JOB, statusLabel } from '../state/machine';

/**
 * Refuses a repeat, a conflicting or an out-of-sequence extract; otherwise says how to apply
 * it. Runs under the sequence lock, so two uploads cannot both pass.
 */
export async function checkSequence(tx: Tx, sha256: string, extract: OpenedExtract, force: boolean, preview = false): Promise<ImportMode> {
  const { meta } = extract;
  const active = await activeJob(tx);
  const same = await jobOfFile(tx, sha256);
  if (same && isActive(same.status)) {
    // The CLI resumes such a job (details.resumable) instead of treating it as a refusal.
    throw new ImportFailure(
      'CONFLICT',
      `This file is already being imported as import #${same.id} (extract ${same.extractNumber}, ${statusLabel(same.status)}); open that import to follow or resume it.`,
      { jobId: same.id, status: same.status, resumable: true },
    );
  }
  if (same?.indexing || same?.finishing) {
    // Completed, with the indexes it deferred still being built, or its change list or its
    // watchlists' matching still being worked out: a driver carries that on.
    const left = same.indexing ? "the register's indexes it deferred are still being built" : 'its change list or its watchlists\' matching is still being worked out';
    throw new ImportFailure('CONFLICT', `This file was already imported as import #${same.id} (extract ${same.extractNumber}); ${left}.`, { jobId: same.id, status: same.status, resumable: true });
  }
  if (same) {
    throw new ImportFailure('CONFLICT', `This file was already imported as import #${same.id} (extract ${same.extractNumber}).`, { jobId: same.id });
  }
  if (active) {
    throw new ImportFailure('CONFLICT', `Import #${active.id} (extract ${active.extractNumber}) ${busyWith(active.status)}.`, { jobId: active.id });
  }
  if (meta.extractType === 'full') {
    const latest = await latestAppliedExtract(tx);
    if (latest !== null && meta.extractNumber < latest) {
      // Never forced: resyncing to an older state would undo newer extracts' changes.
      throw new ImportFailure(
        'PRECONDITION_FAILED',
        `FULL ${meta.extractNumber} is older than extract ${latest}, which is already applied; a resync only moves the register forward. Import a FULL numbered ${latest + 1} or later.`,
        { latest, got: meta.extractNumber },
      );
    }
  }
  // Undo finds a job's rows by extract number, so an extract is applied at most once.
  const applied = await jobThatApplied(tx, meta.extractNumber);
  if (applied) {
    throw new ImportFailure(
      'CONFLICT',
      `Extract ${meta.extractNumber} was already applied by import #${applied.id}; roll that import back before applying another file with the same extract number.`,
      { jobId: applied.id },
    );
  }
  const last = await lastCompletedExtract(tx);

  if (meta.extractType === 'full') {
    // A FULL into tables that hold current rows compares with them (resync); into empty ones it
    // is copied, but not in a preview, which must stage it to leave the register as it is.
    return preview || (await firstNonEmptyTable(tx)) ? 'resync' : 'initial';
  }
  if (force) return 'update';
  if (last === undefined) {
    throw new ImportFailure('PRECONDITION_FAILED', `No extract has been imported yet, so UPDATE ${meta.extractNumber} has nothing to apply to. Import a FULL extract first (or force it).`);
  }
  if (meta.extractNumber !== last + 1) {
    throw new ImportFailure(
      'PRECONDITION_FAILED',
      `UPDATE ${meta.extractNumber} is out of sequence: the last applied extract is ${last}, so the next one must be ${last + 1}. Import the missing extracts first (or force it).`,
      { expected: last + 1, got: meta.extractNumber },
    );
  }
  return 'update';
}

/** Why the active import keeps another from starting, and what to do. */
function busyWith(status: string): string {
  switch (status) {
    case JOB.paused:
      return 'is paused; resume it or cancel it first';
    case JOB.cancelling:
      return 'is being cancelled; let that finish first';
    case JOB.rolling_back:
      return 'is being rolled back; let that finish first';
    case JOB.preparing:
      return 'is still being prepared; open it to drive it on, or cancel it first';
    default:
      return 'is still in progress; let it finish first';
  }
}

async function firstNonEmptyTable(tx: Tx): Promise<TableName | undefined> {
  for (const table of DATA_TABLES) {
    const [hit] = await tx`select 1 from ${ident(tx, table)} where is_current limit 1`;
    if (hit) return table;
  }
  return undefined;
}
