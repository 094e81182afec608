-- Parts stored before 0009 kept their bytes in the row: record their lengths.
UPDATE "import_upload_parts" SET "bytes" = length("data") WHERE "data" IS NOT NULL AND "bytes" = 0;
