import { readdir, readFile } from "node:fs/promises";
import type { SqlClient } from "../types.ts";
import { bundledMigrations } from "./bundled-migrations.ts";
import { canCreateIn, currentRole, MigrationRequiredError, recordedVersions } from "./migrate-check.ts";

export type MigrationSet = "core" | "amp";

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const FILE = /^(\d{3,})_([a-z0-9_]+)\.sql$/;
// Advisory lock class for migrations ("xmpm"); the second key is the set's hash.
const LOCK_CLASS = 0x786d706d;

/** Reads src/migrations/<set>/NNN_name.sql in version order (in a bundle, the copies compiled in). */
export async function loadMigrations(set: MigrationSet): Promise<Migration[]> {
  const dir = new URL(`../migrations/${set}/`, import.meta.url);
  const bundled = bundledMigrations?.[set];
  const files = bundled ? Object.keys(bundled) : await readdir(dir);
  const migrations: Migration[] = [];
  for (const file of files.sort()) {
    const m = FILE.exec(file);
    if (!m) continue;
    migrations.push({ version: Number(m[1]), name: m[2]!, sql: bundled ? bundled[file]! : await readFile(new URL(file, dir), "utf8") });
  }
  const versions = migrations.map((m) => m.version);
  if (new Set(versions).size !== versions.length) throw new Error(`duplicate migration version in ${set}`);
  return migrations;
}

/**
 * Applies the pending migrations of one set, each in its own transaction, recording them in
 * <set>.schema_migrations. Every transaction first takes a transaction-scoped advisory lock, so
 * services starting at once apply each migration exactly once (concurrent CREATE ... IF NOT
 * EXISTS alone can still fail with a unique violation). Returns the versions it applied.
 */
export async function migrate(sql: SqlClient, set: MigrationSet): Promise<number[]> {
  const migrations = await loadMigrations(set);
  // A service's own role (docs/least-privilege.md) may not create anything: when the schema is
  // current it only checks, and when it is behind it says who must migrate instead of failing
  // on the first CREATE with "permission denied".
  const recorded = await recordedVersions(sql, set);
  const missing = migrations.filter((m) => !recorded?.has(m.version));
  if (missing.length === 0) return [];
  if (!(await canCreateIn(sql, set))) throw new MigrationRequiredError(set, missing, await currentRole(sql));
  const lock = `SELECT pg_advisory_xact_lock(${LOCK_CLASS}, hashtext('${set}'))`;
  const present = await sql.transaction(async (tx) => {
    await tx.query(lock);
    await tx.query(`CREATE SCHEMA IF NOT EXISTS ${set}`);
    await tx.query(`CREATE TABLE IF NOT EXISTS ${set}.schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    return (await tx.query<{ version: number }>(`SELECT version FROM ${set}.schema_migrations`)).rows;
  });
  const seenBefore = new Set(present.map((r) => r.version));
  const applied: number[] = [];
  // Re-checked under the lock: another process may have applied it since the read above.
  for (const m of migrations.filter((m) => !seenBefore.has(m.version))) {
    const done = await sql.transaction(async (tx) => {
      await tx.query(lock);
      const seen = await tx.query(`SELECT 1 FROM ${set}.schema_migrations WHERE version = $1`, [m.version]);
      if (seen.rows.length > 0) return false;
      await tx.query(m.sql);
      await tx.query(`INSERT INTO ${set}.schema_migrations (version, name) VALUES ($1, $2)`, [m.version, m.name]);
      return true;
    });
    if (done) applied.push(m.version);
  }
  return applied;
}
