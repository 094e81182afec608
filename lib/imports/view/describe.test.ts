import { describe, expect, it } from 'vitest';
import { describeCurrent, describeDrift, describePause, describePreview, submitLabel, formatDuration, percent, tableState, tableStateText } from './describe';
import type { BatchView, OperationProgress, TableProgress } from './status';

const op = (operation: string, batches: number, completed: number, extra: Partial<OperationProgress> = {}): OperationProgress => ({
  operation,
  batches,
  pending: batches - completed,
  processing: 0,
  completed,
  failed: 0,
  rows: 0,
  rowsDone: 0,
  inserted: 0,
  ended: 0,
  unchanged: 0,
  duplicate: 0,
  noop: 0,
  ...extra,
});
const table = (name: string, ops: OperationProgress[]): TableProgress => ({
  table: name,
  operations: ops,
  batches: ops.reduce((a, o) => a + o.batches, 0),
  completed: ops.reduce((a, o) => a + o.completed, 0),
  failed: ops.reduce((a, o) => a + o.failed, 0),
  rows: 0,
  rowsDone: 0,
});
const batch = (b: Partial<BatchView>): BatchView => ({ id: 1, table: 'addresses', operation: 'delete', batchNumber: 12, rows: 957, attempts: 1, error: null, ...b });

describe('describeCurrent', () => {
  it('says what the batch does, to how many rows, and where it is among its batches', () => {
    const tables = [table('addresses', [op('delete', 15, 12), op('insert', 15, 0)])];
    expect(describeCurrent({ tables, current: [batch({})], job: {} as never })).toBe('Ending 957 address rows of batch 13/15');
    expect(describeCurrent({ tables, current: [batch({ operation: 'insert', batchNumber: 0, rows: 1 }), batch({})], job: {} as never })).toBe(
      'Inserting 1 address row of batch 1/15 (and 1 more batch in parallel)',
    );
    expect(describeCurrent({ tables, current: [], job: {} as never })).toBeNull();
  });
});

describe('tableState', () => {
  it('tells done, failed, processing n/m with its phase, and pending apart', () => {
    expect(tableStateText(tableState(table('codes', [op('replace', 1, 1)]), []))).toBe('done');
    expect(tableState(table('contacts', [op('delete', 2, 1, { failed: 1, pending: 0 })]), [])).toEqual({ kind: 'failed', failed: 1 });
    const addresses = table('addresses', [op('delete', 4, 4), op('insert', 4, 1, { processing: 1, pending: 2 })]);
    expect(tableState(addresses, [batch({ operation: 'insert' })])).toEqual({ kind: 'processing', batch: 2, of: 4, phase: 'inserting' });
    expect(tableState(table('branches', [op('delete', 2, 0), op('insert', 2, 0)]), [])).toEqual({ kind: 'pending', phase: 'ending old rows' });
  });
});

describe('formatting', () => {
  it('formats durations and percentages', () => {
    expect([formatDuration(null), formatDuration(4.4), formatDuration(75), formatDuration(3_700)]).toEqual(['–', '4 s', '1 min 15 s', '1 h 1 min']);
    expect([percent(0, 0), percent(1, 3), percent(3, 3)]).toEqual([0, 33, 100]);
  });
});

describe('describeDrift', () => {
  const d = { ended: 2, inserted: 3, unchanged: 10, tables: [{ table: 'enterprises', ended: 2, inserted: 3, unchanged: 10 }] };
  it('says what the drift is at each stage of the resync, a rollback included', () => {
    expect(describeDrift(d, 'running')).toBe('Drift found so far: 2 rows ended and 3 inserted in 1 table; 10 rows already matched the FULL.');
    expect(describeDrift(d, 'completed')).toMatch(/^Drift corrected: 2 rows ended/);
    expect(describeDrift(d, 'rolling_back')).toMatch(/^Drift corrected, then undone by the rollback: /);
    expect(describeDrift(d, 'rolled_back')).toMatch(/^Drift corrected, then undone by the rollback: /);
    expect(describeDrift(d, 'cancelled')).toMatch(/^Drift found before the import stopped \(undone\): /);
  });
});

describe('submitLabel', () => {
  it('names what importing the chosen file will do', () => {
    expect(submitLabel(null, null)).toBe('Import daily update');
    expect(submitLabel('KboOpenData_0146_2025_10_10_Full.zip', null)).toBe('Load FULL 146 into the empty register');
    expect(submitLabel('KboOpenData_0151_2025_10_15_Full.zip', 149)).toBe('Resync with FULL 151');
    expect(submitLabel('KboOpenData_0147_2025_10_12_Update.zip', 146)).toBe('Apply update 147');
    expect(submitLabel('extract.zip', 146)).toBe('Import this extract');
  });
});

describe('describePause', () => {
  const undo = { startedAt: '', planned: {}, removed: {}, restored: {} };
  const prepared = new Date();
  it('says where Resume takes a paused job', () => {
    expect(describePause({ job: { undo: { ...undo, pausedFrom: 'rolling_back' }, preparedAt: prepared }, batches: { completed: 1, total: 3 } })).toMatch(/^Paused while being rolled back: /);
    expect(describePause({ job: { undo: { ...undo, pausedFrom: 'cancelling' }, preparedAt: null }, batches: { completed: 0, total: 0 } })).toMatch(/^Paused while being cancelled: /);
    expect(describePause({ job: { undo: null, preparedAt: null }, batches: { completed: 0, total: 0 } })).toMatch(/^Paused while staging the files/);
    expect(describePause({ job: { undo: null, preparedAt: prepared }, batches: { completed: 3, total: 3 } })).toBe('Paused: every batch is applied. Resume to finish the import.');
    expect(describePause({ job: { undo: null, preparedAt: prepared }, batches: { completed: 0, total: 3 } })).toBe('Paused: no batch is being applied. Resume to carry on from batch 1 of 3.');
  });
});

describe('describePreview', () => {
  const job = { preview: true, previewedAt: new Date('2026-12-07T10:00:00Z'), status: 'previewed' as const, extractNumber: 150, error: null };
  const preview = { basis: 7, head: 7, expiresAt: '2026-12-08T10:00:00.000Z' };
  const totals = { inserted: 1_234, ended: 1 };
  it('says what a preview worked out would do, until when it is kept, and nothing for an import never previewed', () => {
    expect(describePreview({ job, preview, totals })).toEqual({
      tone: 'violet',
      text: 'Preview worked out; the register has not changed. Applying extract 150 would insert 1,234 rows and end 1 (per table below), and change the entities listed below. It is kept until 2026-12-08 10:00 UTC unless applied or discarded.',
    });
    expect(describePreview({ job: { ...job, status: 'running' }, preview, totals })?.text).toMatch(/^Preview: every batch is worked out as the import would apply it, then undone at once/);
    expect(describePreview({ job: { ...job, preview: false, previewedAt: null, status: 'completed' }, preview: null, totals })).toBeNull();
    expect(describePreview({ job: { ...job, preview: false, status: 'completed' }, preview: null, totals })?.text).toBe('Previewed first, then applied from the rows the preview staged.');
  });

  it('warns before Apply once the register moved on, either way, and says why one was discarded', () => {
    expect(describePreview({ job, preview: { ...preview, head: 9 }, totals })).toMatchObject({ tone: 'amber', text: expect.stringMatching(/^The register moved on since this preview was made \(import #9 completed\): Apply would be refused/) });
    expect(describePreview({ job, preview: { ...preview, head: 5 }, totals })?.text).toMatch(/\(import #7 was rolled back\)/);
    const discarded = { ...job, status: 'discarded' as const, error: { code: 'DISCARDED', message: 'Preview expired: left alone for more than 24 hours.' } };
    expect(describePreview({ job: discarded, preview, totals })).toEqual({ tone: 'slate', text: 'Preview expired: left alone for more than 24 hours. The register never changed.' });
  });
});
