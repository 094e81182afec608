/**
 * The register's way in: search, an entity's view and history, an import's changes. What a
 * page in the browser may import is in `./shared`.
 *
 * Inside: query/ (pure: numbers, languages, a search's and a change list's checks), sql/ (every
 * statement on the register's tables), view/ (what the pages and the API show, built from them).
 */
export * from './shared';
export { codeLabel, type Coded, fellBack } from './query/coded';
export { changeFilterOf, type EntityChange } from './query/change-filter';
export { asOfParam } from './query/number';
export { checkQuery, MAX_PAGE, PAGE_SIZE, searchQueryOf, type SearchHit, type SearchQuery, type SearchResult } from './query/search-query';
export { type ChangePage, importChanges, importChangesCsv } from './view/changes';
export { entityView, type EntityView } from './view/entity';
export { asOfExtract, entityHistory, type HistoryEvent } from './view/history';
export { searchChoices, searchRegister } from './view/search';
