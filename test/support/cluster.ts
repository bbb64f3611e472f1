// One topology per test file: started before its tests with accounts whose password is
// `<name>-pw`, stopped after them together with every client logged in through `login`.
import { afterAll, beforeAll } from "vitest";
import { startTopology, type Topology, type TopologyOptions } from "./topology.ts";
import { connect, type TestClient } from "./clients.ts";

export interface Cluster {
  readonly topo: Topology;
  login(gateway: number, username: string, extra?: { resource?: string; presence?: boolean }): Promise<TestClient>;
}

export function useCluster(opts: TopologyOptions, usernames: string[]): Cluster {
  let topo: Topology | undefined;
  const open: TestClient[] = [];
  beforeAll(async () => {
    topo = await startTopology(opts);
    for (const u of usernames) await topo.addUser(u, `${u}-pw`);
  });
  afterAll(async () => {
    await Promise.all(open.map((c) => c.stop()));
    await topo?.stop();
  });
  const started = (): Topology => {
    if (!topo) throw new Error("the cluster is not started yet (use it inside a test)");
    return topo;
  };
  return {
    get topo() {
      return started();
    },
    async login(gateway, username, extra = {}) {
      const c = await connect({ port: started().of("gateway")[gateway]!.c2sPort, username, password: `${username}-pw`, ...extra });
      open.push(c);
      return c;
    },
  };
}
