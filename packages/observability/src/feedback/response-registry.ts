/**
 * Where the server remembers which request produced a response id, so that feedback for
 * that id finds the request's routing data (model, route, tenant, task tag, experiment
 * variant). The memory registry serves one process; `RedisResponseRegistry` lets every
 * replica find a response any replica served.
 */
import { setBounded } from '../bounded-map';

export interface ResponseRecord {
  responseId: string;
  model: string;
  route?: string;
  tenant?: string;
  taskTag?: string;
  experiment?: { id: string; variant: string };
  createdAt: number;
}

export interface ResponseRegistry {
  /** Remembers a response; a shared registry writes in the background (`idle` waits for it). */
  register(record: ResponseRecord): void;
  lookup(responseId: string): ResponseRecord | undefined | Promise<ResponseRecord | undefined>;
  /** Resolves when every write started so far has landed. */
  idle?(): Promise<void>;
  close?(): Promise<void>;
}

export interface MemoryResponseRegistryOptions {
  /** Responses remembered; default 100,000 (the oldest is dropped first). */
  maxResponses?: number;
}

export class MemoryResponseRegistry implements ResponseRegistry {
  private readonly responses = new Map<string, ResponseRecord>();
  private readonly limit: number;

  constructor(options: MemoryResponseRegistryOptions = {}) {
    this.limit = options.maxResponses ?? 100_000;
  }

  register(record: ResponseRecord): void {
    setBounded(this.responses, record.responseId, record, this.limit);
  }

  lookup(responseId: string): ResponseRecord | undefined {
    return this.responses.get(responseId);
  }
}
