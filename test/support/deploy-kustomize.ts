// The part of kustomize our k8s/ tree uses, so the tests can build each overlay without kubectl:
// resources (files and directories), components, patches (strategic merge, by the patch's own
// kind/name/namespace or an explicit target; `$patch: delete` in keyed lists) and images. Any other kustomization field is an
// error here rather than silently ignored, so a new field forces this builder to learn it.
import { statSync } from "node:fs";
import { join, posix } from "node:path";
import { ROOT, readYamlDocs, type Doc } from "./deploy-checks.ts";

const SUPPORTED = new Set(["apiVersion", "kind", "resources", "components", "patches", "images"]);

/** Strategic-merge keys of the lists we patch (Kubernetes API `patchMergeKey`s). */
const MERGE_KEYS: Record<string, string[]> = {
  containers: ["name"],
  initContainers: ["name"],
  env: ["name"],
  volumes: ["name"],
  volumeMounts: ["mountPath"],
  ports: ["containerPort", "port"],
};

export interface Build {
  docs: Doc[];
  /** Every kustomization.yaml read, relative to the repo. */
  kustomizations: string[];
  /** Every file read: kustomizations, resources and patches. */
  files: string[];
}

export function kustomizeBuild(dir: string): Build {
  const build: Build = { docs: [], kustomizations: [], files: [] };
  apply(posix.normalize(dir), "Kustomization", build);
  const ids = build.docs.map(idOf);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup) throw new Error(`${dir}: ${dup} is defined twice`);
  return build;
}

function idOf(doc: Doc): string {
  return `${doc.kind} ${doc.metadata?.namespace ?? ""}/${doc.metadata?.name}`;
}

function apply(dir: string, kind: "Kustomization" | "Component", build: Build): void {
  const file = `${dir}/kustomization.yaml`;
  const [k] = readYamlDocs(file) as Doc[];
  if (k?.kind !== kind) throw new Error(`${file}: expected kind ${kind}, got ${k?.kind}`);
  const unknown = Object.keys(k).filter((key) => !SUPPORTED.has(key));
  if (unknown.length > 0) throw new Error(`${file}: fields this builder does not implement: ${unknown.join(", ")}`);
  build.kustomizations.push(file);
  build.files.push(file);
  for (const entry of (k.resources ?? []) as string[]) {
    const path = posix.join(dir, entry);
    if (statSync(join(ROOT, path)).isDirectory()) {
      const sub = kustomizeBuild(path);
      build.docs.push(...sub.docs);
      build.kustomizations.push(...sub.kustomizations);
      build.files.push(...sub.files);
    } else {
      build.docs.push(...readYamlDocs(path).filter((d) => d !== null));
      build.files.push(path);
    }
  }
  for (const entry of (k.components ?? []) as string[]) apply(posix.join(dir, entry), "Component", build);
  for (const patch of (k.patches ?? []) as Doc[]) {
    applyPatch(dir, patch, build.docs);
    if (patch.path) build.files.push(posix.join(dir, patch.path));
  }
  for (const image of (k.images ?? []) as Doc[]) applyImage(image, build.docs);
}

function applyPatch(dir: string, spec: Doc, docs: Doc[]): void {
  const bodies: Doc[] = spec.path ? readYamlDocs(posix.join(dir, spec.path)) : [];
  if (spec.patch) throw new Error(`${dir}: inline patches are not implemented; use a patch file`);
  for (const body of bodies.filter((b) => b !== null)) {
    if (Array.isArray(body)) throw new Error(`${dir}/${spec.path}: JSON 6902 patches are not implemented`);
    const target = (spec.target ?? { kind: body.kind, name: body.metadata?.name, namespace: body.metadata?.namespace }) as Doc;
    const hits = docs.filter((d) =>
      d.kind === target.kind && d.metadata?.name === target.name && (target.namespace === undefined || d.metadata?.namespace === target.namespace));
    if (hits.length === 0) throw new Error(`${dir}/${spec.path}: patch for ${target.kind} ${target.namespace ?? ""}/${target.name} matches nothing`);
    for (const hit of hits) docs[docs.indexOf(hit)] = merge(hit, body) as Doc;
  }
}

/** Strategic merge: maps merge, null deletes, lists with a merge key merge by it, others are replaced. */
export function merge(base: unknown, patch: unknown, key = ""): unknown {
  if (Array.isArray(base) && Array.isArray(patch)) return mergeList(base, patch, key);
  if (!isMap(base) || !isMap(patch)) return patch;
  const out: Doc = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = k in out ? merge(out[k], v, k) : v;
  }
  return out;
}

function mergeList(base: unknown[], patch: unknown[], key: string): unknown[] {
  const mergeKey = MERGE_KEYS[key]?.find((k) => [...base, ...patch].every((item) => isMap(item) && k in item));
  if (mergeKey === undefined && patch.some((item) => isMap(item) && "$patch" in item)) throw new Error(`$patch in a list without a merge key (${key})`);
  if (mergeKey === undefined) return patch;
  const out = [...base] as Doc[];
  for (const item of patch as Doc[]) {
    const i = out.findIndex((b) => b[mergeKey] === item[mergeKey]);
    // `- { port: 5280, $patch: delete }` removes that item.
    if (item.$patch === "delete") {
      if (i >= 0) out.splice(i, 1);
    } else if (i < 0) out.push(item);
    else out[i] = merge(out[i], item) as Doc;
  }
  return out;
}

function isMap(v: unknown): v is Doc {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function applyImage(image: Doc, docs: Doc[]): void {
  for (const doc of docs) {
    const pod = doc.spec?.template?.spec;
    for (const c of [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])] as Doc[]) {
      const [name, tag] = splitImage(String(c.image));
      if (name !== image.name) continue;
      c.image = `${image.newName ?? name}:${image.newTag ?? tag ?? "latest"}`;
    }
  }
}

/** "registry:5000/app:1.2" -> ["registry:5000/app", "1.2"]: the tag is after the last ':' past the last '/'. */
export function splitImage(image: string): [string, string | undefined] {
  const slash = image.lastIndexOf("/");
  const colon = image.lastIndexOf(":");
  return colon > slash ? [image.slice(0, colon), image.slice(colon + 1)] : [image, undefined];
}
