/**
 * The register's way in: search, an entity's view and history, an import's changes. What a
 * page in the browser may import is in `./shared`.
 */
export * from './shared';
export { changeFilterOf, type ChangePage, importChanges, importChangesCsv } from './changes';
export { type Coded } from './codes';
export { entityView, type EntityView } from './entity';
export { entityHistory, type HistoryEvent } from './history';
export { asOfParam } from './number';
export { checkQuery, searchChoices, type SearchQuery, searchQueryOf, searchRegister, type SearchResult } from './search';
