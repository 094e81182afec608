/**
 * Watchlists: what users and programs follow in the register (numbers, saved searches), kept
 * per owner. Matching each import's changes against them and the digests come next.
 */
export { MAX_MEMBERS, readMembers } from './members';
export { describeRows, matchFeed, matchingProgress, matchSteps, withdrawMatches, type FeedMatch, type MatchChange } from './match';
export { createWatchlist, deleteWatchlist, getWatchlist, listWatchlists, updateWatchlist, watchlistInput, watchlistPatch, type Watcher, type WatchlistView } from './watchlists';
