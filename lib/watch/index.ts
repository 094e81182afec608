/**
 * Watchlists: what users and programs follow in the register (numbers, saved searches), kept
 * per owner. Matching each import's changes against them and the digests come next.
 */
export { MAX_MEMBERS, readMembers } from './members';
export { describeRows, matchingProgress, matchSteps, type MatchChange } from './match';
export { matchFeed, withdrawMatches, type FeedMatch } from './feed';
export { createWatchlist, deleteWatchlist, getWatchlist, listWatchlists, updateWatchlist, watchlistInput, watchlistPatch, type Watcher, type WatchlistView } from './watchlists';
