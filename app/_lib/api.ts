'use client';

import type { JobStatusView } from '@/lib/imports/shared';

/** An answer other than 2xx, or no answer at all (status 0). */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code?: string,
  ) {
    super(message);
  }
  /** Worth trying again: the network dropped, or the server had a (possibly passing) problem. */
  get transient(): boolean {
    return this.status === 0 || this.status >= 500 || this.status === 429;
  }
}

/** JSON in, JSON out; errors carry the server's message, or say the server was not reached. */
export async function api<T>(url: string, init: { method?: string; body?: unknown; signal?: AbortSignal } = {}): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: init.method ?? 'GET',
      headers: init.body === undefined ? undefined : { 'content-type': 'application/json' },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: init.signal,
      cache: 'no-store',
    });
  } catch {
    throw new ApiError('The server could not be reached; check the connection.', 0);
  }
  if (res.status === 401) toLogin();
  const body = (await res.json().catch(() => null)) as { error?: { message?: string; code?: string } } | null;
  if (!res.ok) throw new ApiError(body?.error?.message ?? `The server answered ${res.status}.`, res.status, body?.error?.code);
  return body as T;
}

/** The session ended: sign in again, then come back here. */
export function toLogin(): void {
  // A full load: the login page starts from nothing the ended session left in memory.
  // eslint-disable-next-line @next/next/no-location-assign-relative-destination
  window.location.assign(`/login?next=${encodeURIComponent(window.location.pathname)}`);
}

export const statusKey = (jobId: number) => ['import', jobId] as const;
export const fetchStatus = (jobId: number) => api<JobStatusView>(`/api/imports/${jobId}`);
