import { runGatewaySuite } from './__fixtures__/gateway-suite';
import { startPostgresCluster } from './__fixtures__/postgres-cluster';

runGatewaySuite('PostgreSQL', async () => {
  const cluster = await startPostgresCluster();
  return { url: cluster.url, cleanup: () => cluster.stop() };
});
