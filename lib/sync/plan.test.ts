import { describe, expect, it } from 'vitest';
import { planSync, portalFile, type PortalFile, type SyncPlan } from './plan';

const day = (n: number) => `2025-10-${String(n - 139).padStart(2, '0')}`;
const file = (n: number, type: 'full' | 'update'): PortalFile =>
  portalFile(`KboOpenData_0${n}_${day(n).replaceAll('-', '_')}_${type === 'full' ? 'Full' : 'Update'}.zip`) as PortalFile;
/** The portal as published since October 2025: a FULL and an UPDATE a day, same number. */
const portal = (from: number, to: number, skip: number[] = []) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i)
    .filter((n) => !skip.includes(n))
    .flatMap((n) => [file(n, 'full'), file(n, 'update')]);
const steps = (p: SyncPlan) => (p.ok ? p.steps.map((s) => `${s.kind} ${s.file.number}`) : p.reason);

describe('a portal file name', () => {
  it('gives the extract number, type and day; other names give nothing', () => {
    expect(portalFile('KboOpenData_0147_2025_10_12_Update.zip')).toEqual({ name: 'KboOpenData_0147_2025_10_12_Update.zip', number: 147, type: 'update', date: '2025-10-12' });
    expect(portalFile('KboOpenData_0140_2025_10_05_Full.zip')?.type).toBe('full');
    for (const bad of ['KboOpenData_147_2025_10_12_Update.zip', 'KboOpenData_0147_2025_10_12_Update.zip.part', '../KboOpenData_0147_2025_10_12_Update.zip', 'x.zip']) expect(portalFile(bad)).toBeNull();
  });
});

describe('the sync plan', () => {
  it('from empty: the newest FULL, then nothing (its own UPDATE is in it)', () => {
    expect(steps(planSync(null, portal(140, 150)))).toEqual(['load 150']);
  });

  it('from empty with UPDATEs newer than the newest FULL: those after it, in order', () => {
    expect(steps(planSync(null, [file(148, 'full'), file(149, 'update'), file(150, 'update'), file(148, 'update')]))).toEqual(['load 148', 'update 149', 'update 150']);
  });

  it('several behind: N+1, N+2, … in order; the count behind', () => {
    const p = planSync(147, portal(140, 150));
    expect(steps(p)).toEqual(['update 148', 'update 149', 'update 150']);
    expect(p.ok && p.behind).toBe(3);
  });

  it('nothing new: nothing to do', () => {
    expect(steps(planSync(150, portal(140, 150)))).toEqual([]);
    expect(steps(planSync(152, portal(140, 150)))).toEqual([]);
  });

  it('a number gone from the portal: a resync with the newest FULL, then the UPDATEs after it', () => {
    expect(steps(planSync(130, portal(140, 150)))).toEqual(['resync 150']);
    expect(steps(planSync(141, portal(140, 150, [144])))).toEqual(['resync 150']);
    const fullsOlder = [...portal(140, 150).filter((f) => f.type === 'update'), file(148, 'full')];
    expect(steps(planSync(130, fullsOlder))).toEqual(['resync 148', 'update 149', 'update 150']);
  });

  it('does not resync with a FULL older than the UPDATEs it can apply', () => {
    const listed = [141, 142, 143, 144, 146].map((n) => file(n, 'update')).concat([file(142, 'full')]);
    expect(steps(planSync(140, listed))).toEqual(['update 141', 'update 142', 'update 143', 'update 144']);
  });

  it('cannot bridge a gap without a newer FULL, and says why', () => {
    expect(steps(planSync(130, portal(140, 150).filter((f) => f.type === 'update')))).toMatch(/no longer lists UPDATE 131, and no FULL newer than 130/);
    expect(steps(planSync(null, portal(140, 150).filter((f) => f.type === 'update')))).toMatch(/no FULL extract/);
  });
});
