/**
 * The test-data generator's way in: a seeded model of the register that writes KBO-format
 * extracts (in memory or streamed to disk) and knows the state an import of them must produce.
 */
export { writeFullZip } from './full-zip';
export { addDays, generateSeries, prng, RegisterModel, zipExtract } from './generator';
