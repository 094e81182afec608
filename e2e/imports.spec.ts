import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { RegisterModel, zipExtract } from '../lib/datasets/generator';
import { ImportsPage } from './pages';

const fixture = readFileSync(path.resolve(import.meta.dirname, '../../shared/fixtures/kbo/KboOpenData_0147_2025_10_12_Update.zip'));

test('a FULL, then the real update 147, each driven to completion by the page; a repeat is refused', async ({ page }) => {
  const imports = new ImportsPage(page);
  const full = new RegisterModel(1).full(146, 500, '2025-10-10');

  await imports.open();
  await imports.upload(full.fileName, await zipExtract(full));
  await imports.expectCompleted();
  await expect(page.getByRole('heading')).toContainText('full 146');

  await imports.open();
  await imports.upload('KboOpenData_0147_2025_10_12_Update.zip', fixture);
  await imports.expectCompleted();
  await expect(page.getByRole('heading')).toContainText('update 147');

  await imports.open();
  await expect(page.getByTestId('imports-table').getByTestId('import-status')).toHaveText(['completed', 'completed']);
  await imports.upload('again.zip', fixture);
  await expect(page.getByTestId('upload-error')).toContainText('This file was already imported as import #2 (extract 147).');
});
