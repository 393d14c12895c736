/**
 * What a terminal shows once it has been sent `output`: the few controls floe run's progress uses
 * (newline, carriage return, cursor up `ESC[nA`, erase to the end of the screen `ESC[J`), so a test
 * can read the screen a person would see rather than the bytes that drew it.
 */
export function screenOf(output: string): string[] {
  const lines: string[] = [''];
  let row = 0;
  for (const token of output.split(/(\x1b\[\d*A|\x1b\[J|\r|\n)/)) {
    const up = /^\x1b\[(\d*)A$/.exec(token);
    if (up !== null) row = Math.max(0, row - Number(up[1] || 1));
    else if (token === '\x1b[J') {
      // floe erases only from a line's start, so the cursor's line goes whole.
      lines.length = row + 1;
      lines[row] = '';
    } else if (token === '\n') {
      row += 1;
      lines[row] ??= '';
    } else if (token !== '\r' && token !== '') lines[row] = `${lines[row] ?? ''}${token}`;
  }
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}
