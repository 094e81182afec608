/**
 * The import engine's way in for the app, the scripts and the other features: create, start,
 * drive, control and read imports. What a page in the browser may import is in `./shared`.
 */
export * from './shared';
export { cronTick } from './drive/cron';
export { driveImport, driveStep, type DriveStep } from './drive/loop';
export { type Patience, patiently } from './drive/patient';
export { prepareImport } from './drive/prepare';
export { cancelImport, pauseImport, resumeImport, rollbackImport } from './jobs/controls';
export { changeListSteps, ensureChangeList } from './jobs/change-list';
export { createImport, type PrepareInput } from './jobs/create';
export { faultPlan, faultsEnabled, setFaults } from './jobs/faults';
export { finalizeImport } from './jobs/finalize';
export { applyPreview, discardPreview, expirePreviews, previewExpiresAt } from './jobs/preview';
export { indexingProgress } from './jobs/indexes';
export { retryBatches } from './jobs/retry';
export { completeUpload, fetchSteps, startImport } from './jobs/start';
export { openExtract } from './read/zip';
export { activeJob, findJob, getJob, lastCompletedExtract, lastCompletedJob } from './sql/jobs';
export { analyzeSampled, analyzeTargets, buildProgress as indexBuildProgress, STATISTICS_TARGET } from './sql/indexes';
export { classified as classifiedChanges } from './sql/changes';
export { netMoves, rowContent } from './sql/moves';
export { PORTAL_SCHEME, unstartedUploadOf } from './sql/uploads';
export { createFetch, fetchMissingParts, fetchUploadInput } from './store/fetch';
export { storeUpload } from './store/parts';
export { fileSource } from './store/sources';
export { createUpload, createUploadInput, discardUpload, loadUpload, maxUploadBytes, putPart, sharedUpload, tooBig, uploadView, type UploadView } from './store/uploads';
export { historyPage, listJobs } from './view/history';
export { registerAt, registerState } from './view/home-summary';
export { importReport, rejectedRowsCsv } from './view/report';
export { getJobStatus } from './view/status';
