import { isDatabaseUnavailable, UNAVAILABLE_MESSAGE } from '@/lib/db/unavailable';

/** A page's data, or why the database could not give it (the page then shows DatabaseUnavailable). */
export type PageData<T> = { ok: true; data: T } | { ok: false; message: string };

export async function readPageData<T>(read: () => Promise<T>): Promise<PageData<T>> {
  try {
    return { ok: true, data: await read() };
  } catch (err) {
    if (!isDatabaseUnavailable(err)) throw err;
    console.warn('[kbo-import] database unavailable while rendering a page:', (err as Error).message);
    return { ok: false, message: UNAVAILABLE_MESSAGE };
  }
}
