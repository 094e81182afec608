/**
 * What the browser may import from the sync: its step states and the rule for what comes next.
 */
export * from './state';
