// `npm run bench -- --compare`: the same scenarios against xmppd, ejabberd and Prosody on this
// machine, one server at a time (A B C, per scenario, for each round) so that they never compete
// for the two cores, then one ratio table with the goals of issue 14 beside it. ejabberd and
// Prosody are the Debian packages, started here as child processes in throwaway directories
// (bench/servers/*.ts) and stopped and deleted at the end, also on Ctrl-C or an error.
import { parseArgs } from "node:util";
import { writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import type { Target } from "./target.ts";
import { startXmppd } from "./servers/xmppd.ts";
import { startEjabberd } from "./servers/ejabberd.ts";
import { startProsody } from "./servers/prosody.ts";
import { bestScram, logins } from "./scenarios/logins.ts";
import { chat } from "./scenarios/chat.ts";
import { quiesce } from "./scenarios/cpu.ts";
import { offlineBurst } from "./scenarios/offline.ts";
import { idleRss, sessionMemory } from "./scenarios/memory.ts";
import { renderTable, type Results } from "./compare-table.ts";

const { values: args } = parseArgs({
  options: {
    compare: { type: "boolean" },
    only: { type: "string", default: "logins,chat,offline,amp,memory" },
    servers: { type: "string", default: "xmppd,ejabberd,prosody" },
    rounds: { type: "string", default: "1" },
    rate: { type: "string", default: "2000,5000" },
    "max-rate": { type: "string", default: "20000" },
    "amp-rate": { type: "string", default: "2000" },
    seconds: { type: "string", default: "6" },
    warmup: { type: "string", default: "2" },
    pairs: { type: "string", default: "50" },
    logins: { type: "string", default: "400" },
    offline: { type: "string", default: "10000" },
    sessions: { type: "string", default: "10000" },
    gateways: { type: "string", default: "2" },
    routers: { type: "string", default: "2" },
    "amp-workers": { type: "string", default: "1" },
    out: { type: "string" },
  },
});
const num = (k: keyof typeof args) => Number(args[k]);
const list = (k: keyof typeof args) => String(args[k]).split(",").map((s) => s.trim()).filter(Boolean);
const only = new Set(list("only"));
const rates = list("rate").map(Number);
// Ours alone is also driven past the compared rates, up to --max-rate, for its loss.
const lossRates = [...new Set([5000, 10000, 20000, num("max-rate")])].filter((r) => r > Math.max(...rates) && r <= num("max-rate")).sort((a, b) => a - b);
const chatOpts = { seconds: num("seconds"), warmup: num("warmup"), pairs: num("pairs") };
const AMP_RULE = "<amp xmlns='http://jabber.org/protocol/amp'><rule condition='deliver' action='drop' value='none'/></amp>";

const started: Target[] = [];
let stopping: Promise<void> | null = null;
function stopAll(): Promise<void> {
  stopping ??= (async () => {
    for (const t of started.splice(0).reverse()) {
      try {
        await t.stop();
      } catch (err) {
        console.error(`stopping ${t.name}:`, err);
      }
    }
  })();
  return stopping;
}
// Ctrl-C and kill: stop the servers (they run in process groups of their own, so the terminal's
// SIGINT does not reach them) and delete their directories before leaving.
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.once(sig, () => {
    console.error(`\n${sig}: stopping the servers`);
    void stopAll().finally(() => process.exit(130));
  });
}

const log = (...a: unknown[]) => console.error(`[${new Date().toISOString().slice(11, 19)}]`, ...a);
// The machine's load average is kept with the figures: on a shared machine it says how much they
// can be trusted.
const results: Results = { settings: { ...args, lossRates, loadAverageAtStart: loadavg() }, servers: {} };

async function main(): Promise<void> {
  const starters: Record<string, () => Promise<Target>> = {
    xmppd: () => startXmppd({
      gateways: num("gateways"), routers: num("routers"), ampWorkers: num("amp-workers"),
      env: { XMPPD__offline__quota: "1000000", XMPPD__amp__security: "none" },
    }),
    ejabberd: startEjabberd,
    prosody: startProsody,
  };
  const targets: Target[] = [];
  for (const name of list("servers")) {
    log(`starting ${name}`);
    const t = await starters[name]!();
    started.push(t);
    targets.push(t);
    // Idle RSS before any session: read once the server has settled after start-up.
    await new Promise((r) => setTimeout(r, 3000));
    results.servers[t.name] = { idleRss: idleRss(t), rounds: [] };
    log(`${t.name} up on port(s) ${t.ports.join(",")}; idle RSS ${JSON.stringify(results.servers[t.name]!.idleRss.perProcess)}`);
  }
  const users = Math.max(num("logins"), 2 * num("pairs"), only.has("offline") ? 1020 : 0, only.has("memory") ? num("sessions") : 0);
  for (const t of targets) {
    const t0 = performance.now();
    await t.addUsers(users);
    log(`${t.name}: ${users} accounts in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }

  for (let round = 0; round < num("rounds"); round++) {
    const rs = targets.map(() => ({}) as Record<string, unknown>);
    targets.forEach((t, i) => results.servers[t.name]!.rounds.push(rs[i]!));
    const each = async (what: string, fn: (t: Target) => Promise<unknown>, key: string, ours = false) => {
      for (const [i, t] of targets.entries()) {
        if (ours && t.name !== "xmppd") continue;
        log(`round ${round + 1}: ${what} on ${t.name}`);
        const r = await fn(t);
        rs[i]![key] = r;
        log(`  ${JSON.stringify(r)}`);
        const waited = await quiesce(t);
        if (waited > 2) log(`  ${t.name} took ${waited} s to become idle again`);
      }
    };
    if (only.has("logins")) {
      await each("PLAIN logins", (t) => logins(t, "PLAIN", num("logins")), "loginsPlain");
      await each("SCRAM logins", async (t) => logins(t, await bestScram(t), num("logins")), "loginsScram");
    }
    if (only.has("chat")) {
      for (const rate of rates) await each(`chat at ${rate}/s`, (t) => chat(t, { ...chatOpts, rate }), `chat${rate}`);
    }
    if (only.has("amp")) {
      const rate = num("amp-rate");
      await each(`AMP chat at ${rate}/s`, async (t) => ({
        plain: await chat(t, { ...chatOpts, rate }),
        amp: await quiesce(t).then(() => chat(t, { ...chatOpts, rate, extra: AMP_RULE })),
      }), "amp", true);
    }
    if (only.has("offline")) {
      for (const n of list("offline").map(Number)) await each(`offline burst of ${n}`, (t) => offlineBurst(t, n), `offline${n}`);
    }
    if (only.has("memory")) await each(`${num("sessions")} idle sessions`, (t) => sessionMemory(t, num("sessions")), "memory");
    // Last in the round: an overloaded topology keeps a backlog for a while (each() waits for it
    // to drain, up to a minute, before the next step).
    if (only.has("chat")) {
      for (const rate of lossRates) {
        await each(`chat at ${rate}/s`, (t) => chat(t, { ...chatOpts, rate }), `chat${rate}`, true);
      }
    }
  }
}

let failed = false;
try {
  await main();
} catch (err) {
  failed = true;
  console.error(err);
} finally {
  log("stopping the servers");
  await stopAll();
}
results.settings.loadAverageAtEnd = loadavg();
if (args.out) writeFileSync(args.out, JSON.stringify(results, null, 2));
console.log(renderTable(results, { rates, lossRates, ampRate: num("amp-rate"), offline: list("offline").map(Number), sessions: num("sessions") }));
console.log(`\nload average (1, 5, 15 min) at start ${(results.settings.loadAverageAtStart as number[]).map((x) => x.toFixed(1)).join(" ")}, at end ${loadavg().map((x) => x.toFixed(1)).join(" ")}`);
process.exit(failed ? 1 : 0);
