import { KBO_TABLES, type DataTableName } from '../kbo/spec';
import { addDays, type Row } from './dialect';
import type { Inventor } from './inventor';

export type TableState = Map<string, Row[]>;
export type DriftCounts = Record<DataTableName, { ended: number; inserted: number; unchanged: number }>;

/** What drift works on: the model's tables, the way it adds a row, and its inventor. */
export interface DriftTarget {
  state: Record<DataTableName, TableState>;
  make: Inventor;
  add(table: DataTableName, rows: Row[]): void;
}

/**
 * Moves the model's state the way a missed extract or an upstream correction does, with no
 * UPDATE to say so: in every table about `share` of the rows disappear, as many change one
 * value, and as many new ones appear (some for new entities, some for existing ones).
 * Returns, per table, what a resync from the old state to the new one must do.
 */
export function drift(model: DriftTarget, share: number): DriftCounts {
  const out = {} as DriftCounts;
  const fresh = [...Array(Math.max(3, Math.round(model.state.enterprises.size * share)))].map(() => model.make.newEnterprise());
  for (const t of KBO_TABLES) {
    const state = model.state[t.table];
    const before = new Set([...state.values()].flat().map((r) => JSON.stringify(r)));
    const keys = [...state.keys()];
    const k = Math.max(1, Math.round(before.size * share));
    // The value corrected: a text column, else (establishments) the start date.
    const text = t.columns.findIndex((c, j) => j > 0 && c.kind === 'text');
    const col = text > 0 ? text : t.columns.findIndex((c) => c.kind === 'date');
    const corrected = (old: string | null) =>
      text > 0 ? `${old ?? ''}~${model.make.correction()}` : addDays(old ?? '2000-01-01', 1 + (model.make.correction() % 300));
    for (let i = 0; i < k && keys.length; i++) {
      // A row gone: sometimes the entity's last, so the FULL lacks the key altogether.
      const at = model.make.int(0, keys.length - 1);
      const key = keys[at] as string;
      const rows = state.get(key) as Row[];
      rows.splice(model.make.int(0, rows.length - 1), 1);
      if (rows.length === 0) {
        state.delete(key);
        keys[at] = keys[keys.length - 1] as string;
        keys.pop();
      }
    }
    for (let i = 0; i < k && keys.length; i++) {
      // A row changed: one non-key text value corrected.
      const rows = state.get(model.make.pick(keys)) as Row[];
      const at = model.make.int(0, rows.length - 1);
      const row = [...(rows[at] as Row)];
      row[col] = corrected(row[col] ?? null);
      rows[at] = row;
    }
    // New rows: a few new entities, and new rows for existing ones.
    for (const e of fresh) model.add(t.table, e[t.table] ?? []);
    // (Not where the register holds one row per key: a second row would be a second status.)
    for (let i = 0; i < (t.oneRowPerKey ? 0 : k); i++) {
      const key = model.make.pick(keys);
      const like = state.get(key)?.[0] ?? e0(fresh, t.table);
      if (!like) continue;
      const row = [...like];
      row[0] = key;
      row[col] = corrected(null);
      model.add(t.table, [row]);
    }
    const after = new Set([...state.values()].flat().map((r) => JSON.stringify(r)));
    let unchanged = 0;
    for (const r of after) if (before.has(r)) unchanged++;
    out[t.table] = { ended: before.size - unchanged, inserted: after.size - unchanged, unchanged };
  }
  return out;
}

function e0(fresh: Partial<Record<DataTableName, Row[]>>[], table: DataTableName): Row | undefined {
  for (const e of fresh) if (e[table]?.[0]) return e[table][0];
  return undefined;
}
