import type { Sql } from '../../db/client';
import { ImportFailure } from '../../errors';
import { completeUpload, fetchMissingParts, loadUpload, maxUploadBytes, PORTAL_SCHEME, sharedUpload, tooBig, unstartedUploadOf } from '../../imports';
import type { PortalFile } from '../plan';
import type { Portal } from '../portal';

/** Where a portal file's fetch stands: its import once every part is in. */
export interface Fetched {
  jobId: number | null;
  bytes: number;
  size: number;
}

/**
 * Fetches a portal file into an upload of its own, a range request per part until the
 * deadline (at least one part), resuming the parts stored by an earlier run; once every part
 * is in, starts its import (or, `preview`, its preview) through the same path as any upload.
 */
export async function fetchFile(sql: Sql, portal: Portal, file: PortalFile, deadline: number, opts: { preview?: boolean } = {}): Promise<Fetched> {
  // A dry run downloads its own copy: the sync's download in progress stays the sync's.
  const url = `${PORTAL_SCHEME}${file.name}${opts.preview ? '#preview' : ''}`;
  let uploadId = await unstartedUploadOf(sql, url);
  if (uploadId === undefined) {
    const size = await portal.size(file.name);
    if (size > maxUploadBytes()) throw tooBig(file.name, size);
    uploadId = await sharedUpload(sql, { fileName: file.name, size, url, options: {} });
  }
  const u = await loadUpload(sql, uploadId);
  const view = await fetchMissingParts(
    sql,
    u,
    deadline,
    (start, end) => portal.range(file.name, start, end),
    (got, start, end) => new ImportFailure('PORTAL_UNAVAILABLE', `The KBO portal sent ${got} bytes of ${file.name} for bytes ${start}–${end}; the next sync asks again.`),
  );
  if (view.received.length < u.parts) return { jobId: null, bytes: view.bytesReceived, size: u.size };
  // A sync running at the same moment (or an upload of the same file) may have made its import:
  // this sync follows that import instead of being refused as a repeat. A dry run previews it.
  const { jobId } = await completeUpload(sql, uploadId, null, opts.preview ? { preview: true } : { joinSameFile: true });
  return { jobId, bytes: u.size, size: u.size };
}
