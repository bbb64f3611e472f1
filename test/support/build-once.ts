// Vitest globalSetup of the end-to-end project: the tests run the compiled services (dist/, as in
// production; scripts/cluster/processes.ts), so build them once up front, unless current, rather
// than in whichever test file happens to start a process first.
import { ensureBuilt } from "../../scripts/build.ts";

export default async function setup(): Promise<void> {
  if (process.env.XMPPD_RUNNER !== "tsx") await ensureBuilt();
}
