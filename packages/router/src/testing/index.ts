/**
 * @llmr/router/testing — helpers for tests of code built on the router: a real
 * redis-server on a free port, started and stopped by the test.
 */
export { type RedisServer, startRedisServer } from './redis-server';
