/**
 * Why "Import daily update" is not offered, and how to turn it on: the sync needs the portal
 * account, read from the environment when the app starts.
 */
export function SyncSetup() {
  return (
    <div className="space-y-1 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900" data-testid="sync-setup">
      <p className="font-medium">Import daily update is off: the app has no KBO portal account to fetch the day&apos;s extract with.</p>
      <p>
        To turn it on, set <code>KBO_PORTAL_USER</code> and <code>KBO_PORTAL_PASSWORD</code> (a free account from the FPS Economy) in{' '}
        <code>.env.local</code> when you run the app from its folder, or in your host&apos;s environment settings, then restart the app. Until then,
        upload the extracts below. See docs/configuration.md.
      </p>
    </div>
  );
}
