// srcroute's marked block at the end of a file that is the admin's (/etc/dhcpcd.exit-hook,
// /etc/dhcpcd.conf): the admin's part keeps every byte, and taking the block out gives the file
// back exactly, the newline the installer added before the block (when the admin's file did not
// end with one; recorded as "nl PATH") included. Pure text in, text out.
import { BEGIN, END } from './layout.js';

/** The lines of `text` as a line reader sees them: a final newline ends the last line, it starts none. */
function linesOf(text: string): string[] {
  const lines = text.split('\n');
  if (text.endsWith('\n')) lines.pop();
  return lines;
}

export const hasBlock = (text: string): boolean => linesOf(text).some((l) => l.startsWith(BEGIN));

/**
 * The file without srcroute's block. `addedNewline`: the installer added the newline before the
 * block (it goes again). A file without a block is given back as it is.
 */
export function adminPart(text: string, addedNewline: boolean): string {
  if (!hasBlock(text)) return text;
  const kept: string[] = [];
  let skip = false;
  for (const line of linesOf(text)) {
    if (line.startsWith(BEGIN)) skip = true;
    if (!skip) kept.push(line);
    if (skip && line.startsWith(END)) skip = false;
  }
  return kept.join('\n') + (kept.length > 0 && !addedNewline ? '\n' : '');
}

/** BODY between the markers; `why` follows the opening one. */
export const block = (why: string, body: string): string => `${BEGIN} ${why}\n${body}${END}\n`;

/** The admin's part, then the block; whether a newline had to be added between them. */
export function withBlock(admin: string, blockText: string): { text: string; addedNewline: boolean } {
  const addedNewline = admin !== '' && !admin.endsWith('\n');
  return { text: `${admin}${addedNewline ? '\n' : ''}${blockText}`, addedNewline };
}
