/** Plain-text formatting for the command-line tool. */

export const formatCents = (cents: number) => `${(cents / 100).toFixed(2)}`;

/** A table with a header row, columns padded to their widest cell. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (c ?? '').padEnd(widths[i])).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '─'.repeat(w))), ...rows.map(line)].join('\n');
}

/** `A → B → C`, wrapped to lines of at most `width` characters, continuation lines indented. */
export function formatPath(path: readonly string[], indent = '    ', width = 110): string {
  const lines: string[] = [];
  let current = '';
  for (const [i, state] of path.entries()) {
    const piece = i === 0 ? state : ` → ${state}`;
    if (current.length + piece.length > width && current) {
      lines.push(current);
      current = `${indent}→ ${state}`;
    } else current += piece;
  }
  if (current) lines.push(current);
  return lines.join('\n');
}

/** The message of a Lambda error cause (`{"errorType":…,"errorMessage":…}`), or the cause itself. */
export function causeMessage(cause: string | undefined): string | undefined {
  if (!cause) return undefined;
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: string };
    return parsed.errorMessage ?? cause;
  } catch {
    return cause;
  }
}
