import type { Watcher } from '../watch';
import type { Principal } from './guard';

/** The owner a caller's watchlists are kept under: a user by name, an API key by its id, the API token as itself. */
export function watcherOf(principal: Principal | null): Watcher {
  if (!principal) return { owner: 'nobody', admin: false };
  // The API token as itself, apart from any user (a reader could be named `api-token`).
  const owner = principal.via === 'key' ? `key:${principal.keyId}` : principal.via === 'bearer' ? 'token:api' : principal.user;
  return { owner, admin: principal.role === 'admin' };
}
