'use client';

import { CartesianGrid, Legend, ResponsiveContainer, Scatter, ScatterChart, Tooltip, XAxis, YAxis } from 'recharts';
import type { TimelinePoint } from '@/lib/imports/shared';

const COLORS: Record<string, string> = {
  enterprises: '#0369a1',
  establishments: '#0891b2',
  denominations: '#7c3aed',
  addresses: '#c2410c',
  contacts: '#be185d',
  activities: '#15803d',
  branches: '#a16207',
  codes: '#475569',
};

/** Each finished batch: when it ended (x) and how long it took (y), per table, failures in red. */
export function TimelineChart({ points }: { points: TimelinePoint[] }) {
  if (points.length === 0) {
    return <p className="flex h-full items-center justify-center text-sm text-slate-500">Batches appear here as they finish.</p>;
  }
  const tables = [...new Set(points.map((p) => p.table))];
  const failed = points.filter((p) => p.failed);
  return (
    <ResponsiveContainer width="100%" height="100%">
      <ScatterChart margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
        <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
        <XAxis type="number" dataKey="at" name="finished at" unit=" s" tick={{ fontSize: 12 }} domain={[0, 'auto']} />
        <YAxis type="number" dataKey="durationMs" name="duration" unit=" ms" tick={{ fontSize: 12 }} width={72} />
        <Tooltip
          cursor={{ strokeDasharray: '3 3' }}
          formatter={(value, name) => [typeof value === 'number' ? value.toFixed(name === 'finished at' ? 1 : 0) : String(value), name]}
          labelFormatter={() => ''}
        />
        <Legend wrapperStyle={{ fontSize: 12 }} />
        {tables.map((t) => (
          <Scatter key={t} name={t} data={points.filter((p) => p.table === t && !p.failed)} fill={COLORS[t] ?? '#334155'} isAnimationActive={false} />
        ))}
        {failed.length > 0 && <Scatter name="failed" data={failed} fill="#dc2626" shape="cross" isAnimationActive={false} />}
      </ScatterChart>
    </ResponsiveContainer>
  );
}
