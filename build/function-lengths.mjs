// function-lengths.mjs: lists the functions of the given folders (default src) longer than --max lines (default 60),
// longest first, as file:line name (N lines), with the TypeScript compiler's parser. A function counts from its
// first line to its last, nested functions included; a nested function longer than the limit is listed too.
// `--fail` exits 1 when it lists any: `npm run lint` runs it so, over src/.
//   node build/function-lengths.mjs [--max N] [--fail] [dir...]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const args = process.argv.slice(2);
const flag = (name) => {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const [, value] = args.splice(i, 2);
  return value;
};
const max = Number(flag('--max') ?? 60);
const fail = args.includes('--fail');
const dirs = args.filter((a) => a !== '--fail');

const files = (dir) =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path);
    return /\.(ts|mts|mjs|js)$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });

/** The name a reader would look for: the function's own, or the variable, property or method it is assigned to. */
function nameOf(node) {
  if (node.name) return node.name.getText();
  const p = node.parent;
  if (p && (ts.isVariableDeclaration(p) || ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p)) && p.name) {
    return p.name.getText();
  }
  return '(anonymous)';
}

/** The functions of one file longer than `max` lines: { at, name, lines }. */
function longFunctions(path) {
  const source = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true);
  const found = [];
  const visit = (node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const lines = last - first + 1;
      if (lines > max) found.push({ at: `${relative(process.cwd(), path)}:${first + 1}`, name: nameOf(node), lines });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const long = (dirs.length ? dirs : ['src']).flatMap(files).flatMap(longFunctions);
long.sort((a, b) => b.lines - a.lines);
for (const f of long) console.log(`${f.at} ${f.name} (${f.lines} lines)`);
console.error(`function-lengths: ${long.length} function(s) over ${max} lines`);
if (fail && long.length) process.exit(1);
