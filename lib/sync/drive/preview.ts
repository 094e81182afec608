import type { Sql } from '../../db/client';
import { env } from '../../env';
import { ImportFailure } from '../../errors';
import { driveImport, lastCompletedExtract } from '../../imports';
import type { JobStatusView } from '../../imports';
import { planSync } from '../plan';
import type { Portal } from '../portal';
import { fetchFile } from '../steps/fetch';
import { describePlan, SAID } from '../view/messages';

/** What a dry run of the sync found: its plan in words, and the preview of the plan's first file (null: nothing new). */
export interface SyncPreview {
  plan: string;
  preview: JobStatusView | null;
}

/**
 * `npm run sync -- --dry-run`: ask the portal's listing, plan as a sync would, and preview the
 * plan's first file (fetched like any, then staged and worked out, changing nothing; its
 * preview can then be applied or discarded). No run is recorded and no lease taken: a dry run
 * leaves the sync as it found it. The later files of the plan need the first one applied, so
 * only the first can be previewed.
 */
export async function previewSync(db: Sql, portal: Portal, opts: { log?: (line: string) => void; concurrency?: number } = {}): Promise<SyncPreview> {
  const log = opts.log ?? (() => {});
  const at = (await lastCompletedExtract(db)) ?? null;
  const plan = planSync(at, await portal.listing());
  if (!plan.ok) throw new ImportFailure('PRECONDITION_FAILED', plan.reason);
  if (plan.steps.length === 0) return { plan: SAID.nothingNew(at), preview: null };
  const said = describePlan(at, plan.steps);
  log(said);
  const first = (plan.steps[0] as (typeof plan.steps)[number]).file;
  let fetched = await fetchFile(db, portal, first, Date.now() + env().IMPORT_BATCH_BUDGET_MS, { preview: true });
  while (fetched.jobId === null) {
    log(SAID.fetching(first.name, fetched.bytes, fetched.size));
    fetched = await fetchFile(db, portal, first, Date.now() + env().IMPORT_BATCH_BUDGET_MS, { preview: true });
  }
  log(`previewing ${first.name} as preview #${fetched.jobId}…`);
  return { plan: said, preview: await driveImport(db, { jobId: fetched.jobId, concurrency: opts.concurrency ?? 2 }) };
}
