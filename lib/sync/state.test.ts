import { describe, expect, it } from 'vitest';
import { allowedValues } from '../db/checks';
import { syncRuns, syncState } from '../db/schema';
import { ALERT, afterStep, alertsAfter, endsCurrent, isProblem, SYNC_OUTCOME, SYNC_STEP, SYNC_TRIGGER, type SyncStepState } from './state';

const ALL = Object.values(SYNC_STEP) as SyncStepState[];

describe('the sync rule every driver follows', () => {
  it('steps on while planning or fetching, drives an import, and stops on every other state', () => {
    expect(Object.fromEntries(ALL.map((s) => [s, afterStep(s)]))).toEqual({
      busy: 'stop',
      checked: 'stop',
      planned: 'step',
      fetching: 'step',
      importing: 'drive',
      waiting: 'stop',
      done: 'stop',
      error: 'stop',
    });
  });

  it('a stop is either current or a problem, never both; alerts follow errors and the ends that are current', () => {
    for (const s of ALL.filter((x) => afterStep(x) === 'stop')) expect(endsCurrent(s) !== isProblem(s), s).toBe(true);
    for (const s of ALL.filter((x) => afterStep(x) !== 'stop')) expect(endsCurrent(s) || isProblem(s), s).toBe(false);
    expect(ALL.filter(alertsAfter)).toEqual(['checked', 'done', 'error']);
  });

  it('the database allows exactly the outcomes, triggers and alert kinds defined here', () => {
    expect(allowedValues(syncRuns, 'sync_runs_outcome_check')).toEqual(Object.values(SYNC_OUTCOME));
    expect(allowedValues(syncRuns, 'sync_runs_trigger_check')).toEqual(Object.values(SYNC_TRIGGER));
    expect(allowedValues(syncState, 'sync_state_last_alert_kind_check')).toEqual(Object.values(ALERT));
  });
});
