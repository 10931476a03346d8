/**
 * Text from the data (operation names, pipes, hosts, INI bytes) on its way to a human: a
 * terminal, the journal, a log file. An attacker controls much of dce_rpc.log, so its bytes must
 * not drive the terminal (`\x1b[2J` clears the screen, OSC sequences set window titles or
 * clipboard contents) or forge log lines (a newline inside a value). Every control character
 * (C0 but tab and newline where kept, DEL, C1) and the bidirectional overrides (Trojan Source)
 * are written as visible escapes (`\x1b`, `\u202e`), so nothing is lost and nothing acts.
 * Machine formats (JSON lines, Zeek TSV) have escapes of their own and do not use this.
 */

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex -- as above
const UNSAFE_WITH_BREAKS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function escape(char: string): string {
  if (char === '\n') return '\\n';
  if (char === '\t') return '\\t';
  if (char === '\r') return '\\r';
  const code = char.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * `text` with every control character escaped. `keepLineBreaks`: newlines and tabs stay (for
 * multi-line output the program itself lays out, such as check-config's problem list).
 */
export function printable(text: string, options: { keepLineBreaks?: boolean } = {}): string {
  return text.replace(options.keepLineBreaks === true ? UNSAFE : UNSAFE_WITH_BREAKS, escape);
}
