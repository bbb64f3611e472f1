// import-users: accounts from a CSV file of `username,password` rows (RFC 4180 quoting, so a
// password may hold commas or quotes). A username is a localpart (with --domain) or a bare JID.
// Bad rows are reported by line number and skipped; the rest are imported.
import { AdminError, type AdminOps } from "./ops.ts";
import type { Progress } from "./progress.ts";

export interface CsvLine {
  line: number;
  fields?: string[];
  error?: string;
}

export interface ImportResult {
  total: number;
  imported: number;
  failed: { line: number; error: string }[];
}

/** One record per non-blank physical line; a quoted field may not span lines. */
export function parseCsv(text: string): CsvLine[] {
  const out: CsvLine[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    if (raw.trim() === "") return;
    const fields = splitCsvLine(raw);
    out.push(fields ? { line: i + 1, fields } : { line: i + 1, error: "unterminated quoted field" });
  });
  return out;
}

/** RFC 4180 fields of one line: `"a ""b"", c",d` -> [`a "b", c`, `d`]; null when a quote is left open. */
function splitCsvLine(raw: string): string[] | null {
  const fields: string[] = [];
  let field = "";
  let quoted = false;
  for (let pos = 0; pos < raw.length; pos++) {
    const c = raw[pos] as string;
    if (quoted && c === '"' && raw[pos + 1] === '"') {
      field += '"';
      pos++;
    } else if (quoted && c === '"') {
      quoted = false;
    } else if (!quoted && c === '"' && field === "") {
      quoted = true;
    } else if (!quoted && c === ",") {
      fields.push(field);
      field = "";
    } else {
      field += c;
    }
  }
  fields.push(field);
  return quoted ? null : fields;
}

const isHeader = (fields: string[] | undefined) => fields?.map((f) => f.trim().toLowerCase()).join(",") === "username,password";

export async function importUsers(ops: AdminOps, text: string, domain: string | undefined, progressFor: (total: number) => Progress): Promise<ImportResult> {
  const rows = parseCsv(text);
  if (isHeader(rows[0]?.fields)) rows.shift();
  const progress = progressFor(rows.length);
  const result: ImportResult = { total: rows.length, imported: 0, failed: [] };
  let done = 0;
  for (const row of rows) {
    const error = row.error ?? (await importRow(ops, row.fields as string[], domain));
    if (error) result.failed.push({ line: row.line, error });
    else result.imported++;
    progress.update(++done);
  }
  progress.finish(done);
  return result;
}

async function importRow(ops: AdminOps, fields: string[], domain: string | undefined): Promise<string | undefined> {
  if (fields.length !== 2) return `expected 2 fields (username,password), got ${fields.length}`;
  const [name = "", password = ""] = fields;
  if (password === "") return "empty password";
  const at = name.indexOf("@");
  const [user, host] = at >= 0 ? [name.slice(0, at), name.slice(at + 1)] : [name, domain];
  if (host === undefined) return `no domain for ${name}: write user@domain or give --domain`;
  try {
    await ops.register(user.trim(), host.trim(), password);
    return undefined;
  } catch (err) {
    if (err instanceof AdminError) return err.message;
    throw err;
  }
}
