/**
 * What the browser may import from the engine: job and batch states, the driver's rules, the
 * status view's types and wording, the upload options. Nothing here touches the database.
 */
export * from './state/machine';
export * from './view/describe';
export * from './view/types';
export * from './drive/rules';
export * from './options';
