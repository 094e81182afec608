import { env } from '../env';
import { eventTargets } from '../notify';
import { KboPortal, type Portal } from './portal';

/** The sync's settings, read from the environment (docs/configuration.md). */

/** A portal account is set (KBO_PORTAL_USER and KBO_PORTAL_PASSWORD): the app may sync. */
export function portalConfigured(): boolean {
  const e = env();
  return Boolean(e.KBO_PORTAL_USER && e.KBO_PORTAL_PASSWORD);
}

/** The portal of the configuration, or null when no account is set. */
export function portalFromEnv(): Portal | null {
  const e = env();
  return portalConfigured() ? new KboPortal(e.KBO_PORTAL_URL, e.KBO_PORTAL_USER as string, e.KBO_PORTAL_PASSWORD as string) : null;
}

/** How often a scheduled sync asks the portal's listing (SYNC_CHECK_MINUTES). */
export const checkMinutes = () => env().SYNC_CHECK_MINUTES;
/** Alerts go wherever notifications go (lib/notify: the webhook, email); none set: no alerts. */
export const alertsConfigured = () => eventTargets().length > 0;
export const maxLagDays = () => env().SYNC_MAX_LAG_DAYS;
export const alertOnSuccess = () => env().SYNC_ALERT_ON_SUCCESS;
