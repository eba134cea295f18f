/**
 * Property tests run with a fixed fast-check seed, so a CI run is reproducible and never
 * flaky. Explore further locally with FC_SEED=<n> (or FC_SEED=random).
 */
import fc from 'fast-check';

const seed = process.env.FC_SEED;
if (seed !== 'random') fc.configureGlobal({ seed: seed === undefined ? 20261126 : Number(seed) });
