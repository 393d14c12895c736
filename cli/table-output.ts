import { printable } from '../config/index.js';

/**
 * Prints rows as left-aligned columns under a header, for a person to read at a glance. Cells are
 * made printable (control characters escaped, config/printable.ts): a name or value holding a
 * newline or an ESC sequence cannot break the table or reach the terminal raw.
 */
export function printTable(header: readonly string[], rows: readonly (readonly string[])[]): void {
  const cells = rows.map((row) => row.map(printable));
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  process.stdout.write(`${[line(header), ...cells.map(line)].join('\n')}\n`);
}
