/**
 * What a terminal shows once it has been sent `output`: the few controls floe run's progress uses
 * (newline, carriage return, cursor up `ESC[nA`, erase to the end of the screen `ESC[J`) and those
 * of npm's spinner (to column 1 `ESC[1G`, erase the line `ESC[0K`), so a test can read the screen a
 * person would see rather than the bytes that drew it. Every erase happens at a line's start.
 */
export function screenOf(output: string): string[] {
  const lines: string[] = [''];
  let row = 0;
  for (const token of output.split(/(\x1b\[\d*A|\x1b\[J|\x1b\[1G|\x1b\[0?K|\r|\n)/)) {
    const up = /^\x1b\[(\d*)A$/.exec(token);
    if (up !== null) row = Math.max(0, row - Number(up[1] || 1));
    else if (token === '\x1b[J') {
      lines.length = row + 1;
      lines[row] = '';
    } else if (token === '\x1b[0K' || token === '\x1b[K') lines[row] = '';
    else if (token === '\n') {
      row += 1;
      lines[row] ??= '';
    } else if (token !== '\r' && token !== '\x1b[1G' && token !== '') lines[row] = `${lines[row] ?? ''}${token}`;
  }
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}
