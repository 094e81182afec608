import { expect, type Page } from '@playwright/test';

/** Page object for /imports and a job's progress page. */
export class ImportsPage {
  constructor(readonly page: Page) {}

  async open() {
    await this.page.goto('/imports');
    await expect(this.page.getByRole('heading', { name: 'Imports' })).toBeVisible();
  }

  async upload(name: string, bytes: Buffer) {
    await this.page.getByTestId('upload-input').setInputFiles({ name, mimeType: 'application/zip', buffer: bytes });
    await this.page.getByTestId('upload-submit').click();
  }

  async expectCompleted() {
    await expect(this.page).toHaveURL(/\/imports\/\d+$/);
    await expect(this.page.getByTestId('job-status')).toHaveText('completed', { timeout: 90_000 });
    await expect(this.page.getByRole('progressbar')).toHaveAttribute('aria-valuenow', '100');
  }
}
