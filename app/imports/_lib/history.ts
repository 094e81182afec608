/** Rows per page of the import history (the page and its table share it). */
export const HISTORY_PAGE = 20;
