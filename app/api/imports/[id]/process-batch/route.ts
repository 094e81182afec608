/**
 * The step route's former name, kept so that drivers written against it go on working:
 * `POST /api/imports/:id/process-batch` is `POST /api/imports/:id/step`.
 */
export { POST } from '../step/route';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';
