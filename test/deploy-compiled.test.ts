// The image runs compiled JavaScript only: every command the Dockerfile, docker-compose.yml and
// every Kubernetes build give our image (shell scripts of setup jobs and init containers
// included) starts `node dist/<bundle>.js` of a bundle `npm run build` makes, and none names tsx.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { sourceOfDist } from "../scripts/build.ts";
import { ROOT, dockerInstructions, execForm, readText, readYamlDocs, type Doc } from "./support/deploy-checks.ts";
import { kustomizeBuild } from "./support/deploy-kustomize.ts";

/** What each `node` invocation of a command runs (exec form, or the words of an `sh -c` script). */
export function nodeEntries(command: readonly string[]): string[] {
  const words = command[0] === "sh" && command[1] === "-c" ? (command[2] ?? "").split(/[\s;&|(){}]+/) : [...command];
  const out: string[] = [];
  words.forEach((word, i) => {
    if (word !== "node") return;
    let j = i + 1;
    while (j < words.length && words[j]!.startsWith("-")) j += ["--import", "--require", "-r", "--loader"].includes(words[j]!) ? 2 : 1;
    out.push(words[j] ?? "");
  });
  return out;
}

function problems(where: string, command: unknown): string[] {
  if (!Array.isArray(command)) return [`${where}: no exec-form command`];
  const entries = nodeEntries(command as string[]);
  return [
    ...(entries.length === 0 ? [`${where}: runs no node`] : []),
    ...entries.filter((e) => sourceOfDist(e) === undefined).map((e) => `${where}: node ${e} is not a bundle of dist/`),
    ...((command as string[]).some((w) => /\btsx\b/.test(w)) ? [`${where}: uses tsx`] : []),
  ];
}

const commands: [string, unknown][] = [];
const cmd = dockerInstructions(readText("deploy/Dockerfile")).filter((i) => i.op === "CMD").at(-1);
commands.push(["deploy/Dockerfile CMD", cmd ? execForm(cmd.args) : undefined]);
const [compose] = readYamlDocs("docker-compose.yml") as Doc[];
for (const [name, service] of Object.entries(compose?.services ?? {}) as [string, Doc][]) {
  if (service.build?.dockerfile === "deploy/Dockerfile" || /^xmppd(:|$)/.test(service.image ?? "")) commands.push([`docker-compose ${name}`, service.command]);
}
for (const dir of ["k8s/base", ...readdirSync(join(ROOT, "k8s/overlays")).map((o) => `k8s/overlays/${o}`)]) {
  for (const doc of kustomizeBuild(dir).docs) {
    const pod = doc.spec?.template?.spec;
    for (const c of [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])] as Doc[]) {
      if (/(^|\/)xmppd:/.test(String(c.image))) commands.push([`${dir} ${doc.kind} ${doc.metadata.name}/${c.name}`, c.command]);
    }
  }
}

it("every command of our image runs a dist/ bundle with node, never tsx", () => {
  expect(commands.length).toBeGreaterThan(10);
  expect(commands.flatMap(([where, command]) => problems(where, command))).toEqual([]);
});

it("reads node invocations in exec form and in shell scripts", () => {
  expect(nodeEntries(["node", "--enable-source-maps", "dist/gateway.js"])).toEqual(["dist/gateway.js"]);
  expect(nodeEntries(["sh", "-c", "node dist/admin.js migrate && node --import tsx services/admin/src/main.ts grant"])).toEqual(["dist/admin.js", "services/admin/src/main.ts"]);
  expect(problems("x", ["node", "--import", "tsx", "services/router/src/main.ts"])).toEqual(["x: node services/router/src/main.ts is not a bundle of dist/", "x: uses tsx"]);
});
