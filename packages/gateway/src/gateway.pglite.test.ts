import { runGatewaySuite } from './__fixtures__/gateway-suite';

runGatewaySuite('PGlite', async () => ({ url: 'pglite:memory', cleanup: async () => {} }));
