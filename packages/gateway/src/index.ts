export type {
  AuditEntry,
  AuditProblem,
  AuditProblemKind,
  AuditRecord,
  AuditVerification,
} from './audit-log';
export { AuditLog } from './audit-log';
export { type Migration, migrate, migrations } from './database/migrations';
export { type DatabaseLocation, openDatabase, parseDatabaseUrl } from './database/open-database';
export { openPgliteDatabase, type PgliteDatabaseOptions } from './database/pglite-database';
export { openPostgresDatabase, type PostgresDatabaseOptions } from './database/postgres-database';
export type { SqlDatabase, SqlEngine, SqlQueryable } from './database/sql-database';
export {
  type Admission,
  type BudgetAlert,
  createGateway,
  Gateway,
  type GatewayOptions,
  type ModelPrice,
  type Principal,
  type RequestOutcome,
} from './gateway';
export { defaultDatabaseUrl, type GatewayConfig, parseGatewayConfig } from './gateway-config';
export {
  GatewayAuthenticationError,
  GatewayBudgetError,
  GatewayError,
  GatewayNotFoundError,
  GatewayPermissionError,
  GatewayRateLimitError,
  type RateLimitName,
} from './gateway-errors';
export { parseTime } from './http/admin-routes';
export { errorBody, errorStatus, sendGatewayError } from './http/error-reply';
export {
  defaultScopeFor,
  type GatewayPluginOptions,
  type GatewayRequestState,
  type GatewayUsageReport,
  type GatewayUsageUpdate,
  gatewayPlugin,
  presentedKey,
} from './http/gateway-plugin';
export { type TappedUsage, tapUsage } from './http/usage-tap';
export { generateKey, hashKey, parseKeyId } from './key-format';
export type { CreateKeyOptions, VirtualKey } from './key-store';
export {
  type Budget,
  type BudgetMetric,
  type BudgetPeriod,
  modelAllowed,
  modelMatches,
  type Policy,
  parsePolicy,
  parseScopes,
  SCOPES,
  type Scope,
} from './policy';
export type { GatewayRateLimiter, RateSubject, RateTicket } from './rate-limiter';
export { type RateWindowStore, SharedRateLimiter } from './shared-rate-limiter';
export type { Actor, CreateTenantOptions, Tenant } from './tenant-store';
export type { UsageQuery, UsageSummary } from './usage-store';
