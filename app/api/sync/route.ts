import { z } from 'zod';
import { getDb } from '@/lib/db/client';
import { env } from '@/lib/env';
import { jsonBody } from '@/lib/http/params';
import { json } from '@/lib/http/respond';
import { route } from '@/lib/http/route';
import { ImportFailure } from '@/lib/errors';
import { endsStepping, portalFromEnv, releaseLease, SYNC_TRIGGER, syncStatus, syncStep } from '@/lib/sync';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';
export const maxDuration = 60;

/** Where the sync stands: the register, the portal's newest, the last check, recent runs. */
export const GET = route({}, async () => json(await syncStatus(await getDb())));

const stepInput = z.object({
  /** The page's own name for its sync, the same on every step (it holds the lease). */
  holder: z.string().regex(/^page:[A-Za-z0-9-]{8,64}$/),
  /** Ask the portal's listing now (the button), not only when a check is due. */
  check: z.boolean().default(false),
});

/** One step of a sync (the page's button drives it step after step): what it did and where the sync stands. */
export const POST = route({}, async (request) => {
  const { holder, check } = await jsonBody(request, stepInput);
  const portal = portalFromEnv();
  if (!portal) throw new ImportFailure('PRECONDITION_FAILED', 'No KBO portal account is set: set KBO_PORTAL_USER and KBO_PORTAL_PASSWORD to sync.');
  const db = await getDb();
  const p = await syncStep(db, portal, { trigger: SYNC_TRIGGER.page, holder, check, deadline: Date.now() + env().IMPORT_BATCH_BUDGET_MS });
  if (endsStepping(p.state)) await releaseLease(db, holder);
  return json(p);
});
