/** The import CLI's usage text, printed for --help and for arguments it cannot read. */
export const usage = `usage: npm run import -- <zip or http(s) URL> [--concurrency N] [--force] [--json]
         [--on-error continue|fail-fast] [--max-rejected N] [--max-rejected-percent P] [--wait-db SECONDS]
         [--defer-indexes on|off] [--dry-run]
         (--dry-run: preview: stage and work out what the import would do, per table, its rejected
          rows and its change list, changing nothing; then apply or discard it)
         (--wait-db: how long to wait out a database that went away, then carry on; default 120)
         (--defer-indexes: a FULL into an empty register loads first and builds its indexes after;
          default: when its CSV files hold at least IMPORT_DEFER_INDEXES_MB)
       npm run import -- --job <id> [--concurrency N] [--json]   (drive an existing import)
       npm run import -- list [--json]          the imports, newest first
       npm run import -- status <id> [--json]   one import's status, as the progress page shows it
       npm run import -- pause|resume|cancel|rollback|retry|apply|discard <id> [--concurrency N] [--json]
         pause: stop claiming batches; resume: claim again and drive to the end;
         cancel: undo what a running or paused import applied; rollback: undo the latest completed import;
         retry: put failed batches back and drive to the end;
         apply: import a preview from what it staged (refused once the register moved on); discard: drop it`;
