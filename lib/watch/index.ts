/**
 * Watchlists: what users and programs follow in the register (numbers, saved searches), kept
 * per owner; each import's changes matched against them, digests, the feed, and what the pages read.
 */
export { MAX_MEMBERS, readMembers } from './members';
export { matchingProgress, matchSteps } from './match';
export { describeRows, said, type MatchChange } from './words';
export { matchFeed, withdrawMatches, type FeedMatch } from './feed';
export { createWatchlist, deleteWatchlist, getWatchlist, listWatchlists, updateWatchlist, watchlistInput, watchlistPatch, type Watcher, type WatchlistView } from './watchlists';
export { deliveries, followedIn, followState, latestMatches, sendTest, type Delivery } from './views';
