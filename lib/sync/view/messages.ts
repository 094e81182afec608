import type { SyncStep } from '../plan';

/** What a sync step says, in the words the page, the CLI and the alerts show. Pure. */

/** "3 to import after extract 170: 171, 172, 173", or how the register will be loaded or resynced. */
export function describePlan(at: number | null, steps: SyncStep[]): string {
  const numbers = steps.map((s) => `${s.file.number}${s.kind === 'update' ? '' : ` (${s.kind === 'load' ? 'FULL, load' : 'FULL, resync'})`}`).join(', ');
  if (at === null) return `The register is empty: ${numbers}.`;
  return `${steps.length} to import after extract ${at}: ${numbers}.`;
}

export const SAID = {
  busy: 'Another sync is under way; this one leaves it alone.',
  notDue: 'Checked the portal recently; nothing to do until the next check.',
  unexpected: 'The sync stopped on an unexpected error; the details are in the server log.',
  paused: (job: { id: number; extractNumber: number | null }) => `Import #${job.id} (extract ${job.extractNumber}) is paused; resume or cancel it, and the sync carries on.`,
  underWay: (job: { id: number; extractNumber: number | null }) => `Import #${job.id} (extract ${job.extractNumber}) is under way.`,
  nothingNew: (at: number | null) => (at === null ? 'The portal lists nothing to import.' : `The register is at extract ${at}, the portal's newest: nothing to do.`),
  upToDate: (at: number | null) => `The register is up to date: extract ${at}.`,
  fetching: (name: string, bytes: number, size: number) => `Fetching ${name}: ${bytes} of ${size} bytes.`,
  importing: (name: string, jobId: number) => `Importing ${name} as import #${jobId}.`,
  notApplied: (name: string, jobId: number, job: { status: string; error: { message: string } | null } | undefined) =>
    `Import #${jobId} of ${name} ended ${job?.status ?? 'missing'} without applying it${job?.error ? `: ${job.error.message}` : ''}.`,
  wrongExtract: (name: string, held: number | null, named: number) => `${name} holds extract ${held} by its meta.csv, not ${named} as its name says; the sync stops here.`,
};
