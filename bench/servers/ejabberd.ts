// ejabberd from Debian (/usr/lib/erlang, ebin in /usr/lib/x86_64-linux-gnu/ejabberd-*), started
// by the bench as a child process in a throwaway directory, with the settings of ours: plain TCP
// without TLS, no shaping, a raised offline quota, SCRAM-SHA-256 password storage, warnings only.
// It runs `erl` directly rather than through ejabberdctl, which would `su` to the ejabberd user
// (our temp directory is root's) and read /etc/ejabberd/ejabberdctl.cfg. The VM starts without
// distribution (no -sname): nothing here needs another node, so no epmd and no node-name clash
// with the machine's own epmd (RabbitMQ's); Mnesia then lives on node nonode@nohost.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, isReachable } from "@xmppd/testkit";
import { startManagedProcess } from "../../packages/testkit/src/managed-process.ts";
import type { Target } from "../target.ts";
import { foreignTarget } from "./foreign.ts";

function config(port: number): string {
  return `hosts: ["localhost"]
loglevel: warning
log_rotate_count: 0
listen:
  - port: ${port}
    ip: "127.0.0.1"
    module: ejabberd_c2s
    # ejabberd's default listen backlog is 5: 50 logins at a time would hit SYN retries.
    backlog: 1024
    max_stanza_size: 10485760
    shaper: none
    access: c2s
    starttls_required: false
auth_method: internal
auth_password_format: scram
auth_scram_hash: sha256
registration_timeout: infinity
shaper_rules:
  c2s_shaper: none
  max_user_sessions: 100000
  max_user_offline_messages: 1000000
access_rules:
  c2s:
    allow: all
  register:
    allow: all
modules:
  mod_disco: {}
  mod_offline:
    access_max_user_messages: max_user_offline_messages
  mod_ping: {}
  mod_register:
    access: register
    access_from: register
    ip_access: register
  mod_roster: {}
  mod_stream_mgmt: {}
`;
}

export async function startEjabberd(): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), "bench-ejabberd-"));
  const port = await freePort();
  mkdirSync(join(dir, "spool"));
  const configFile = join(dir, "ejabberd.yml");
  writeFileSync(configFile, config(port));
  const logFile = join(dir, "ejabberd.log");
  const proc = await startManagedProcess({
    command: "erl",
    // What ejabberdctl's "foreground" runs: +K/+P as its defaults, Mnesia in our spool.
    args: ["+K", "true", "+P", "250000", "-noinput", "-mnesia", "dir", `"${join(dir, "spool")}"`, "-s", "ejabberd"],
    spawn: {
      cwd: dir,
      env: {
        ...process.env, EJABBERD_CONFIG_PATH: configFile, EJABBERD_LOG_PATH: logFile, ERL_LIBS: "/usr/lib/x86_64-linux-gnu",
        ERL_CRASH_DUMP: join(dir, "erl_crash.dump"), ERL_MAX_PORTS: "32000", ERL_MAX_ETS_TABLES: "1400",
      },
    },
    logFile: join(dir, "stdout.log"),
    describe: () => { try { return readFileSync(join(dir, "stdout.log"), "utf8").slice(-2000); } catch { return "(no output)"; } },
    ready: () => isReachable(port),
    startTimeoutMs: 60_000,
  });
  return foreignTarget("ejabberd", "beam.smp", proc, dir, port);
}
