/** Where sign-in goes when `next` is missing or not a path of this site. */
export const DEFAULT_NEXT = '/imports';

const BASE = 'http://this-site.invalid';

/**
 * The `next` of the login page as a path of this site, or the default. Browsers drop tabs and
 * newlines from URLs and read `\` as `/`, so `/\t/evil.example` would leave the site: any
 * control character or backslash refuses the value, and what is left must resolve to this
 * origin.
 */
export function safeNextPath(next: string | string[] | undefined): string {
  const value = Array.isArray(next) ? next[0] : next;
  if (!value || !value.startsWith('/') || /[\u0000-\u001f\u007f\\]/.test(value)) return DEFAULT_NEXT;
  let url: URL;
  try {
    url = new URL(value, BASE);
  } catch {
    return DEFAULT_NEXT;
  }
  if (url.origin !== BASE || value.startsWith('//')) return DEFAULT_NEXT;
  return `${url.pathname}${url.search}${url.hash}`;
}
