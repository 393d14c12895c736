/**
 * Text from outside floe (table, column and source names, key values, job log lines, error
 * messages quoting them) made safe to print to a terminal or into a `-- ` SQL comment: control
 * characters never reach either raw. A newline would end a SQL comment and start a statement; an
 * ESC sequence moves the cursor, rewrites what was printed, or sets the window title.
 *
 * Escaped visibly: `\n`, `\r`, `\t`; every other C0 control, DEL and C1 control as `\xHH`
 * (`\x1b` for ESC); the bidirectional formatting characters, which reorder what a reader sees
 * (CVE-2021-42574, "Trojan Source"), as `\uHHHH`. Everything else, backslashes included, is
 * printed as it is, so ordinary names read as they are (the `--json` outputs give exact values).
 */

/** C0 controls, DEL, C1 controls, and the bidi embeddings, overrides, isolates and marks. */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** `text` with every control character written as a visible escape (see the module comment). */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (char) => {
    const code = char.charCodeAt(0);
    return NAMED[char] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
  });
}

/**
 * JSON text (a document, pretty-printed or not, or one JSON line) with every control character but
 * the line breaks and tabs that lay it out as a `\uHHHH` escape. `JSON.stringify` and Python's
 * `json.dumps` escape C0 controls in strings but leave DEL, C1 controls and bidi characters raw;
 * those can only stand inside strings, where the escape means the same character, so the JSON they
 * write stays valid and equal. A line that is not JSON comes out safe to print all the same.
 */
export function printableJson(json: string): string {
  return json.replace(UNPRINTABLE, (char) => (char === '\n' || char === '\t' ? char : `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`));
}
