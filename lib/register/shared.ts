/**
 * What the browser may import from the register: the display languages and their cookie.
 */
export * from './query/language';
