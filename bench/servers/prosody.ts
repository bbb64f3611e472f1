// Prosody from Debian, started by the bench in the foreground as a child process with its own
// config in a throwaway directory: plain TCP c2s with PLAIN allowed, no mod_limits, internal
// (file) storage under the directory, in-band registration without throttling, warnings only.
// Prosody 0.12 stores SCRAM-SHA-1 hashes, so it offers SCRAM-SHA-1 and not -256.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, isReachable } from "@xmppd/testkit";
import { startManagedProcess } from "../../packages/testkit/src/managed-process.ts";
import type { Target } from "../target.ts";
import { foreignTarget } from "./foreign.ts";

function config(dir: string, port: number): string {
  return `daemonize = false
-- The bench runs as root here; Prosody would otherwise switch to the "prosody" user, which
-- cannot write our temp directory.
run_as_root = true
pidfile = "${dir}/prosody.pid"
data_path = "${dir}/data"
certificates = "${dir}/certs"
log = { { levels = { min = "warn" }, to = "file", filename = "${dir}/prosody.log" } }
c2s_ports = { ${port} }
c2s_interfaces = { "127.0.0.1" }
c2s_direct_tls_ports = {}
s2s_ports = {}
http_ports = {}
https_ports = {}
network_settings = { tcp_backlog = 1024 }
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
allow_registration = true
min_seconds_between_registrations = 0
authentication = "internal_hashed"
storage = "internal"
modules_enabled = { "roster", "saslauth", "disco", "ping", "register", "offline", "smacks", "posix" }
-- mod_limits (traffic shaping) is not enabled; s2s is not needed.
modules_disabled = { "s2s", "limits" }
VirtualHost "localhost"
`;
}

export async function startProsody(): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), "bench-prosody-"));
  const port = await freePort();
  mkdirSync(join(dir, "data"));
  mkdirSync(join(dir, "certs"));
  const configFile = join(dir, "prosody.cfg.lua");
  writeFileSync(configFile, config(dir, port));
  const proc = await startManagedProcess({
    command: "prosody",
    // -F: foreground (the config's daemonize = false says the same; 0.12 prefers the flag).
    args: ["-F", "--config", configFile],
    spawn: { cwd: dir },
    logFile: join(dir, "stdout.log"),
    describe: () => { try { return readFileSync(join(dir, "prosody.log"), "utf8").slice(-2000); } catch { return "(no log)"; } },
    ready: () => isReachable(port),
    startTimeoutMs: 30_000,
  });
  return foreignTarget("Prosody", "prosody", proc, dir, port);
}
