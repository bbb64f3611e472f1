// NATS subject wildcards for the in-process bus: `*` matches one token, `>` (last token only)
// matches one or more tokens. Patterns are split once at subscribe time.

export type SubjectPattern = readonly string[];

export function compilePattern(subject: string): SubjectPattern {
  const tokens = subject.split(".");
  tokens.forEach((t, i) => {
    if (t === "") throw new Error(`invalid subject ${JSON.stringify(subject)}: empty token`);
    if (t === ">" && i !== tokens.length - 1) {
      throw new Error(`invalid subject ${JSON.stringify(subject)}: ">" must be the last token`);
    }
  });
  return tokens;
}

export function matches(pattern: SubjectPattern, subject: string): boolean {
  let start = 0;
  for (let i = 0; i < pattern.length; i++) {
    if (start > subject.length) return false;
    const p = pattern[i]!;
    if (p === ">") return start < subject.length;
    let end = subject.indexOf(".", start);
    if (end === -1) end = subject.length;
    if (p !== "*" && (end - start !== p.length || !subject.startsWith(p, start))) return false;
    if (end === start) return false;
    start = end + 1;
  }
  return start === subject.length + 1;
}
