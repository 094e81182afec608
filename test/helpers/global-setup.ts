import type { TestProject } from 'vitest/node';
import { applyMigrations, createSql, databaseUrl, resolveDatabaseUrl, stopEmbeddedPostgres } from '../../lib/db/client';

/**
 * Once per run: find the server (DATABASE_URL, else the embedded one), build a template
 * database with the real migrations, and hand its name to the tests, which clone it.
 */
export default async function setup(project: TestProject) {
  const adminUrl = await resolveDatabaseUrl();
  const template = `kbo_test_tpl_${process.pid}`;
  const admin = createSql(adminUrl, 1);
  await admin`drop database if exists ${admin(template)} with (force)`;
  await admin`create database ${admin(template)}`;
  await applyMigrations(databaseUrl(adminUrl, template));
  project.provide('adminUrl', adminUrl);
  project.provide('template', template);
  return async () => {
    await admin`drop database if exists ${admin(template)} with (force)`;
    await admin.end();
    await stopEmbeddedPostgres();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    adminUrl: string;
    template: string;
  }
}
