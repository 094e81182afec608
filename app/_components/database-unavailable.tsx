'use client';

import { useRouter } from 'next/navigation';
import { useEffect, useState } from 'react';

const EVERY_S = 5;

/** Shown instead of a page whose data could not be read: says why, and asks again every few seconds. */
export function DatabaseUnavailable({ message }: { message: string }) {
  const router = useRouter();
  const [left, setLeft] = useState(EVERY_S);
  const [tries, setTries] = useState(0);
  useEffect(() => {
    // The countdown lives in this effect; the refresh is made here, never inside a state updater
    // (React may run those while rendering, where a router update is dropped).
    let remaining = EVERY_S;
    const timer = setInterval(() => {
      remaining -= 1;
      if (remaining <= 0) {
        remaining = EVERY_S;
        setTries((n) => n + 1);
        router.refresh();
      }
      setLeft(remaining);
    }, 1000);
    return () => clearInterval(timer);
  }, [router]);
  return (
    <div role="alert" data-testid="database-unavailable" className="space-y-2 rounded-lg border border-amber-300 bg-amber-50 p-4 text-amber-900">
      <p className="font-semibold">The database is unavailable</p>
      <p>{message}</p>
      <p className="text-sm" data-testid="database-retry">
        Trying again in {left} s{tries > 0 ? ` (tried ${tries} time${tries === 1 ? '' : 's'})` : ''}.
      </p>
    </div>
  );
}
