// A password not given on the command line (where `ps` shows it to everyone on the host), as
// `prosodyctl adduser` takes it: typed twice at a prompt without echo on a terminal, or the first
// line of standard input when that is a pipe or a file (`echo "$PW" | npm run admin -- register ...`).
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import { read } from "read";
import { AdminError } from "./ops.ts";

export interface PasswordSource {
  input: Readable & { isTTY?: boolean };
  /** Where the prompts go (stderr: stdout carries the command's answer). */
  output: Writable;
}

export async function readPassword(source: PasswordSource): Promise<string> {
  if (!source.input.isTTY) return firstLine(source.input);
  // terminal: true even when stderr is redirected, so that readline switches the terminal's echo off.
  const ask = (prompt: string) => read({ prompt, silent: true, replace: "", terminal: true, input: source.input, output: source.output });
  const password = await ask("Password:");
  if (password === "") throw emptyPassword("nothing was typed");
  if ((await ask("Repeat password:")) !== password) throw new AdminError("the passwords typed do not match", "invalid");
  return password;
}

/** The first line of a stream that is not a terminal, without its line ending; "" at once on EOF. */
async function firstLine(input: Readable): Promise<string> {
  const lines = createInterface({ input, terminal: false, crlfDelay: Infinity });
  try {
    const line = await new Promise<string | null>((resolve) => {
      lines.once("line", resolve);
      lines.once("close", () => resolve(null));
    });
    if (line === null || line === "") throw emptyPassword(line === null ? "standard input was empty" : "the first line of standard input was empty");
    return line;
  } finally {
    lines.close();
    input.destroy();
  }
}

export function emptyPassword(why: string): AdminError {
  return new AdminError(`empty password (${why}): give one as an argument, type it at the prompt, or pipe it on standard input`, "invalid");
}
