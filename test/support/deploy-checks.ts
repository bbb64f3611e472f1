// Static readers for the deployment files (no Docker engine or cluster here): YAML with merge
// keys, the entry file of a `node --import tsx <file>` command, the config loader's verdict on an
// environment, and the few Dockerfile and .dockerignore facts the deploy tests check.
import { existsSync, readFileSync } from "node:fs";
import { join, posix, resolve } from "node:path";
import { parseAllDocuments } from "yaml";
import { ConfigError, loadConfig, type Config } from "@xmppd/config";

export const ROOT = resolve(import.meta.dirname, "../..");

export type Env = Record<string, string>;
export type Doc = Record<string, any>;

export function readText(rel: string): string {
  return readFileSync(join(ROOT, rel), "utf8");
}

/** Whether a command is installed (optional tools: docker-compose, promtool). */
export function onPath(cmd: string): boolean {
  return (process.env.PATH ?? "").split(":").some((dir) => dir !== "" && existsSync(join(dir, cmd)));
}

export function existsInRepo(rel: string): boolean {
  return existsSync(join(ROOT, rel));
}

/** Every document of a YAML file, `<<` merge keys resolved (compose's x- anchors use them). */
export function readYamlDocs(rel: string): Doc[] {
  const docs = parseAllDocuments(readText(rel), { merge: true });
  if (!Array.isArray(docs)) throw new Error(`${rel}: not a YAML stream`);
  return docs.map((doc, i) => {
    const errors = [...doc.errors, ...doc.warnings].map((e) => e.message);
    if (errors.length > 0) throw new Error(`${rel} document ${i}: ${errors.join("; ")}`);
    return doc.toJS() as Doc;
  });
}

// Node flags that take the next argument as their value: `--import tsx` is not the entry file.
const FLAGS_WITH_VALUE = new Set(["--import", "--require", "-r", "--loader", "--env-file"]);

/** The script a `node ...` command runs, relative to the image's WORKDIR (the repo root). */
export function entryFile(command: readonly string[]): string | undefined {
  if (command[0] !== "node") return undefined;
  for (let i = 1; i < command.length; i++) {
    const arg = command[i] as string;
    if (FLAGS_WITH_VALUE.has(arg)) i++;
    else if (!arg.startsWith("-")) return arg;
  }
  return undefined;
}

/** The config loader's problems with an environment, one line each; [] when it loads. */
export function configProblems(env: Env): string[] {
  try {
    loadConfig({ env });
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((i) => `${i.source ?? ""} ${i.at.join(".")}: ${i.problem}`);
    throw error;
  }
}

/** The configuration a process started with exactly this environment would run with. */
export function configFrom(env: Env): Config {
  return loadConfig({ env });
}

export interface Instruction {
  op: string;
  args: string;
}

/** Dockerfile instructions in order, continuation lines joined, comments dropped. */
export function dockerInstructions(text: string): Instruction[] {
  const joined = text.replace(/\\\r?\n/g, " ");
  return joined
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const [op = "", ...rest] = line.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(" ") };
    });
}

/** The instructions of each build stage, split at FROM. */
export function dockerStages(instructions: readonly Instruction[]): Instruction[][] {
  const stages: Instruction[][] = [];
  for (const ins of instructions) {
    if (ins.op === "FROM") stages.push([ins]);
    else stages.at(-1)?.push(ins);
  }
  return stages;
}

/** An exec-form (JSON array) CMD or ENTRYPOINT. */
export function execForm(args: string): string[] {
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === "string")) throw new Error(`not exec form: ${args}`);
  return parsed;
}

/**
 * Whether a .dockerignore excludes a context path. Docker matches each pattern against the
 * path and every parent of it; the last matching pattern wins and `!` re-includes.
 */
export function isDockerIgnored(dockerignore: string, path: string): boolean {
  const patterns = dockerignore
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  const parts = path.split("/");
  const candidates = parts.map((_, i) => parts.slice(0, i + 1).join("/"));
  let ignored = false;
  for (const raw of patterns) {
    const negated = raw.startsWith("!");
    const pattern = posix.normalize(raw.slice(negated ? 1 : 0).replace(/^\/+/, ""));
    const re = globToRegExp(pattern);
    if (candidates.some((c) => re.test(c))) ignored = !negated;
  }
  return ignored;
}

function globToRegExp(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === "*" && glob[i + 1] === "*") {
      re += glob[i + 2] === "/" ? "(?:.*/)?" : ".*";
      i += glob[i + 2] === "/" ? 2 : 1;
    } else if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

/** A container's environment as Kubernetes would build it, and where each variable came from. */
export interface ResolvedEnv {
  env: Env;
  source: Record<string, "ConfigMap" | "Secret" | "literal">;
  secrets: string[];
  problems: string[];
}

function secretData(secret: Doc): Env {
  const decoded = Object.entries((secret.data ?? {}) as Env).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]);
  return { ...Object.fromEntries(decoded), ...((secret.stringData ?? {}) as Env) };
}

export function resolveEnv(docs: readonly Doc[], namespace: string, container: Doc): ResolvedEnv {
  const out: ResolvedEnv = { env: {}, source: {}, secrets: [], problems: [] };
  const find = (kind: string, name: string): Doc | undefined =>
    docs.find((d) => d.kind === kind && d.metadata?.name === name && d.metadata?.namespace === namespace);
  const dataOf = (kind: "ConfigMap" | "Secret", name: string): Env => {
    if (kind === "Secret") out.secrets.push(name);
    const doc = find(kind, name);
    if (doc === undefined) out.problems.push(`${kind} ${namespace}/${name} does not exist`);
    return doc === undefined ? {} : kind === "Secret" ? secretData(doc) : ((doc.data ?? {}) as Env);
  };
  const set = (key: string, value: string, from: ResolvedEnv["source"][string]) => {
    out.env[key] = value;
    out.source[key] = from;
  };
  for (const ref of (container.envFrom ?? []) as Doc[]) {
    const [kind, name] = ref.configMapRef ? (["ConfigMap", ref.configMapRef.name] as const) : (["Secret", ref.secretRef?.name] as const);
    for (const [k, v] of Object.entries(dataOf(kind, String(name)))) set(k, v, kind);
  }
  for (const entry of (container.env ?? []) as Doc[]) {
    const from = entry.valueFrom;
    if (from?.secretKeyRef) set(entry.name, dataOf("Secret", from.secretKeyRef.name)[from.secretKeyRef.key] ?? "", "Secret");
    else if (from?.configMapKeyRef) set(entry.name, dataOf("ConfigMap", from.configMapKeyRef.name)[from.configMapKeyRef.key] ?? "", "ConfigMap");
    else set(entry.name, String(entry.value ?? ""), "literal");
  }
  return out;
}

/** A compose service's environment; list form ["KEY=value"] too. A key without a value is unset. */
export function composeEnv(service: Doc | undefined): Env {
  const raw = service?.environment ?? {};
  const pairs: [string, unknown][] = Array.isArray(raw) ? raw.map((line: string): [string, unknown] => {
    const eq = line.indexOf("=");
    return eq < 0 ? [line, ""] : [line.slice(0, eq), line.slice(eq + 1)];
  }) : Object.entries(raw);
  // <NAME>_FILE naming a compose secret: the value is in a file written at deploy time
  // (npm run store-secrets), so stand in `secret:<name>` for it here.
  return Object.fromEntries(pairs.map(([k, v]) => {
    const value = v === null || v === undefined ? "" : String(v);
    const secret = /^\/run\/secrets\/(.+)$/.exec(value);
    return k.endsWith("_FILE") && secret ? [k.slice(0, -5), `secret:${secret[1]}`] : [k, value];
  }));
}

export function composeNetworks(service: Doc | undefined): string[] {
  const raw = service?.networks ?? ["default"];
  return (Array.isArray(raw) ? raw : Object.keys(raw)).sort();
}

/** A compose port, short ("5322:5222", "127.0.0.1:80:80/tcp", "5222") or long form. */
export function composePort(p: unknown): { target: number; published: string } {
  if (typeof p === "object" && p !== null) return { target: Number((p as Doc).target), published: String((p as Doc).published ?? "") };
  const parts = String(p).split("/")[0]?.split(":") ?? [];
  return { target: Number(parts.at(-1)), published: parts.length > 1 ? parts.slice(0, -1).join(":") : "" };
}

export interface ScrapeTarget {
  job: string;
  host: string;
  port: number;
  /** Found through DNS service discovery (every replica), not a fixed address. */
  dns: boolean;
}

/** The hosts and ports a Prometheus configuration scrapes (static_configs and dns_sd_configs of type A). */
export function scrapeTargets(prometheus: Doc): ScrapeTarget[] {
  return ((prometheus.scrape_configs ?? []) as Doc[]).flatMap((job) => [
    ...((job.static_configs ?? []) as Doc[]).flatMap((sc) => (sc.targets as string[]).map((t) => {
      const [host = "", port = ""] = t.split(":");
      return { job: job.job_name, host, port: Number(port), dns: false };
    })),
    ...((job.dns_sd_configs ?? []) as Doc[]).filter((sd) => (sd.type ?? "SRV") === "A")
      .flatMap((sd) => (sd.names as string[]).map((host) => ({ job: job.job_name, host, port: Number(sd.port), dns: true }))),
  ]);
}
