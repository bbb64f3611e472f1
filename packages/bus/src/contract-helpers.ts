// Shared plumbing of the bus contract suite: the per-test context and polling helpers.
import type { Bus, ConsumeOptions, Consumer, WorkMessage, WorkQueue, WorkQueueSpec } from "./types.ts";
import { subjects } from "./subjects.ts";

export interface BusFixture {
  bus: Bus;
  /** A second client of the same bus (another connection), when the adapter has such a thing. */
  other?: () => Promise<Bus>;
  /** Deletes a work queue the test created (its JetStream stream); absent when nothing persists. */
  dropWorkQueue?: (spec: WorkQueueSpec) => Promise<void>;
  cleanup(): Promise<void>;
}

export type BusFactory = () => Promise<BusFixture>;

export class ContractContext {
  private readonly consumers: Consumer[] = [];
  private readonly specs: WorkQueueSpec[] = [];
  private constructor(readonly fixture: BusFixture) {}

  static async open(factory: BusFactory): Promise<ContractContext> {
    return new ContractContext(await factory());
  }

  get bus(): Bus {
    return this.fixture.bus;
  }

  /** The second client, or the same bus for in-process adapters. */
  other(): Promise<Bus> {
    return this.fixture.other ? this.fixture.other() : Promise.resolve(this.fixture.bus);
  }

  /** A work queue with names unique to this test. */
  spec(): WorkQueueSpec {
    const s = subjects(`c${Math.random().toString(36).slice(2, 10)}`);
    const spec = { stream: s.ampStream(), subjectPrefix: s.ampSubjectPrefix(), durable: s.ampDurable() };
    this.specs.push(spec);
    return spec;
  }

  async consume(q: WorkQueue, handler: (m: WorkMessage) => Promise<void>, opts?: ConsumeOptions): Promise<Consumer> {
    const c = await q.consume(handler, opts);
    this.consumers.push(c);
    return c;
  }

  async close(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.stop()));
    for (const spec of this.specs) await this.fixture.dropWorkQueue?.(spec);
    await this.fixture.cleanup();
  }
}

export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export const bytes = (n: number): Uint8Array => new TextEncoder().encode(String(n));
export const num = (data: Uint8Array): number => Number(new TextDecoder().decode(data));
