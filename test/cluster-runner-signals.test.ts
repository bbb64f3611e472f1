// `npm run cluster` as a developer starts it, stopped with SIGTERM sent to the npm process (a
// supervisor, `kill <npm pid>`): npm passes the signal to its script, which must reach the runner
// (the script execs it; a shell in between died and left everything running). Afterwards none of
// what npm started runs any more: runner, services, NATS server.
import { spawn } from "node:child_process";
import { afterAll, expect, it } from "vitest";
import { ensureServices, waitFor } from "@xmppd/testkit";
import { ROOT } from "../scripts/cluster/processes.ts";
import { commandOf, descendants, isRunning } from "./support/process-tree.ts";

let leftovers: number[] = [];
afterAll(() => {
  for (const pid of leftovers.filter(isRunning)) process.kill(pid, "SIGKILL");
});

it("SIGTERM to npm stops the runner, every service and its NATS server", { timeout: 180_000 }, async () => {
  await ensureServices();
  const npm = spawn("npm", ["run", "cluster"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  npm.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  npm.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => npm.once("exit", (code) => resolve(code)));
  await waitFor(() => out.includes("ready; Ctrl-C stops every process") || npm.exitCode !== null, { timeoutMs: 120_000, intervalMs: 200, what: "the runner ready" });
  const tree = descendants(npm.pid!);
  leftovers = tree;
  const commands = tree.map(commandOf);
  // What is there to stop: the runner, 3 services and a NATS server at least.
  expect(commands.filter((c) => /^\S*node .*scripts\/cluster\.ts/.test(c)), commands.join("\n")).toHaveLength(1);
  expect(commands.filter((c) => /dist\/(router|amp-worker|gateway)\.js/.test(c))).toHaveLength(3);
  expect(commands.filter((c) => /nats-server/.test(c))).toHaveLength(1);

  npm.kill("SIGTERM");
  await exited;
  await waitFor(() => tree.filter(isRunning).length === 0, { timeoutMs: 30_000, intervalMs: 100, what: "every process npm started gone" }).catch(() => {
    throw new Error(`still running after SIGTERM to npm:\n${tree.filter(isRunning).map((p) => `${p} ${commandOf(p)}`).join("\n")}\n${out}`);
  });
  expect(out).toMatch(/SIGTERM: stopping 3 processes\nstopped/);
});
