/** A file the portal lists, read from its name: `KboOpenData_0147_2025_10_12_Update.zip`. */
export interface PortalFile {
  name: string;
  number: number;
  type: 'full' | 'update';
  /** The day in the name, ISO (`2025-10-12`). */
  date: string;
}

const NAME = /^KboOpenData_(\d{4})_(\d{4})_(\d{2})_(\d{2})_(Full|Update)\.zip$/;

/** A portal file's name read into its parts, or null for any other name. Pure. */
export function portalFile(name: string): PortalFile | null {
  const m = NAME.exec(name);
  if (!m) return null;
  return { name, number: Number(m[1]), type: m[5] === 'Full' ? 'full' : 'update', date: `${m[2]}-${m[3]}-${m[4]}` };
}

/** One import of a sync, in the order it must run. */
export interface SyncStep {
  file: PortalFile;
  /** `load`: a FULL into the empty register; `resync`: a FULL onto a register that fell behind past what the portal keeps; `update`. */
  kind: 'load' | 'resync' | 'update';
}

/** A step as a run stores it in its plan (sync_runs.plan): the file, and how it is imported. */
export type PlannedFile = PortalFile & { kind: SyncStep['kind'] };

export type SyncPlan =
  | { ok: true; steps: SyncStep[]; newest: number | null; behind: number }
  | { ok: false; reason: string; newest: number | null };

/**
 * What brings the register from extract `at` (null: empty) to the newest the portal lists.
 * From empty: the newest FULL, then every later UPDATE. At N: N+1, N+2, … in order while the
 * portal has them. When a number the register needs is gone from the portal: a resync with the
 * newest FULL, then the UPDATEs after it. A FULL carries the same number as that day's UPDATE
 * and the state after it, so the UPDATEs that follow a FULL M are those after M. Pure.
 */
export function planSync(at: number | null, listed: PortalFile[]): SyncPlan {
  const updates = new Map<number, PortalFile>();
  let newestFull: PortalFile | undefined;
  for (const f of listed) {
    if (f.type === 'update') updates.set(f.number, f);
    else if (!newestFull || f.number > newestFull.number) newestFull = f;
  }
  const numbers = [...listed.map((f) => f.number)];
  const newest = numbers.length ? Math.max(...numbers) : null;
  const after = (n: number): SyncStep[] => {
    const out: SyncStep[] = [];
    for (let x = n + 1; updates.has(x); x++) out.push({ file: updates.get(x) as PortalFile, kind: 'update' });
    return out;
  };
  const plan = (steps: SyncStep[]): SyncPlan => ({ ok: true, steps, newest, behind: newest === null || at === null ? steps.length : Math.max(0, newest - at) });

  if (at === null) {
    if (!newestFull) return { ok: false, reason: 'The register is empty and the portal lists no FULL extract to load it from.', newest };
    return plan([{ file: newestFull, kind: 'load' }, ...after(newestFull.number)]);
  }
  if (newest === null || newest <= at) return plan([]);
  const chain = after(at);
  const reach = chain.length ? (chain[chain.length - 1] as SyncStep).file.number : at;
  if (reach >= newest) return plan(chain);
  // A number on the way is gone: the newest FULL bridges the gap, then the UPDATEs after it.
  if (newestFull && newestFull.number > reach) return plan(bridge(newestFull, after));
  if (chain.length) return plan(chain);
  return {
    ok: false,
    reason: `The register is at extract ${at}; the portal no longer lists UPDATE ${at + 1}, and no FULL newer than ${at} to resync from.`,
    newest,
  };
}

function bridge(full: PortalFile, after: (n: number) => SyncStep[]): SyncStep[] {
  return [{ file: full, kind: 'resync' }, ...after(full.number)];
}
