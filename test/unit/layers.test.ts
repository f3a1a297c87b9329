// The tree shows the two runtimes: src/hook runs on every lease event (as root, while the DHCP
// client waits), src/operator and src/install only when an admin types a command. Imports point
// one way, cli/bin -> install -> operator -> hook -> kernel -> shared, and the hook's STATIC
// import closure (what Node loads before the first lease is routed) holds no operator or
// installer file. Type-only imports are
// erased by esbuild and do not count for the closure; import() (lazy) does not either. No file
// reaches itself through its imports, type-only ones included: a circle means two files that
// cannot be read apart.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(__dirname, '../../src');
const RANK: Record<string, number> = { shared: 0, kernel: 1, hook: 2, operator: 3, install: 4, '.': 5 };

interface Edge {
  to: string;
  kind: 'static' | 'type' | 'dynamic';
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

function edgesOf(file: string): Edge[] {
  const text = readFileSync(file, 'utf8');
  const edges: Edge[] = [];
  for (const m of text.matchAll(/^import\s+(type\s+)?[^'";]*?from\s+'(\.[^']+)'/gms)) {
    edges.push({ to: resolve(dirname(file), m[2]!.replace(/\.js$/, '.ts')), kind: m[1] ? 'type' : 'static' });
  }
  for (const m of text.matchAll(/import\('(\.[^']+)'\)/g)) {
    edges.push({ to: resolve(dirname(file), m[1]!.replace(/\.js$/, '.ts')), kind: 'dynamic' });
  }
  return edges;
}

/** `hook`, `operator`, ... for a file; `.` for the entry files at the top of src/. */
const layerOf = (file: string): string => {
  const top = relative(SRC, file).split('/')[0]!;
  return top.endsWith('.ts') ? '.' : top;
};

/** Each circle of static or type-only imports, as a path from a file back to itself. */
function circlesIn(g: ReadonlyMap<string, readonly Edge[]>): string[] {
  const circles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (file: string, path: string[]): void => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'open') {
      circles.push([...path.slice(path.indexOf(file)), file].map((f) => relative(SRC, f)).join(' -> '));
      return;
    }
    state.set(file, 'open');
    for (const e of g.get(file) ?? []) if (e.kind !== 'dynamic') visit(e.to, [...path, file]);
    state.set(file, 'done');
  };
  for (const f of g.keys()) visit(f, []);
  return circles;
}

const files = sources(SRC);
const graph = new Map(files.map((f) => [f, edgesOf(f)]));

describe('layers', () => {
  it('every file of src/ is in a known layer, and there are no barrels', () => {
    for (const f of files) {
      expect(RANK[layerOf(f)], relative(SRC, f)).toBeDefined();
      expect(f.endsWith('/index.ts'), relative(SRC, f)).toBe(false);
    }
  });

  it.each(files.map((f) => [relative(SRC, f), f] as const))('%s imports only its own layer or lower ones', (_, file) => {
    for (const edge of graph.get(file)!) {
      expect(graph.has(edge.to), `${relative(SRC, file)} -> missing ${relative(SRC, edge.to)}`).toBe(true);
      const from = RANK[layerOf(file)]!;
      const to = RANK[layerOf(edge.to)]!;
      expect(to <= from, `${relative(SRC, file)} -> ${relative(SRC, edge.to)} points up`).toBe(true);
    }
  });

  it("the hook's static closure from bin.ts holds no operator or installer file", () => {
    const seen = new Set<string>();
    const walk = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const e of graph.get(file) ?? []) if (e.kind === 'static') walk(e.to);
    };
    walk(join(SRC, 'bin.ts'));
    const operator = [...seen].filter((f) => layerOf(f) === 'operator' || layerOf(f) === 'install').map((f) => relative(SRC, f));
    expect(operator).toEqual([]);
    // and it does reach the hook itself, so the walk is not vacuous
    expect(seen.has(join(SRC, 'hook/hook.ts'))).toBe(true);
  });

  it('no import circle between files, type-only imports included', () => {
    expect(circlesIn(graph)).toEqual([]);
  });

  it('the circle check finds a circle (a control on a made-up graph)', () => {
    const [a, b, c] = ['a.ts', 'b.ts', 'c.ts'].map((f) => join(SRC, f)) as [string, string, string];
    const made = new Map<string, Edge[]>([[a, [{ to: b, kind: 'type' }]], [b, [{ to: c, kind: 'static' }]], [c, [{ to: a, kind: 'static' }]]]);
    expect(circlesIn(made)).toEqual(['a.ts -> b.ts -> c.ts -> a.ts']);
    made.set(c, [{ to: a, kind: 'dynamic' }]);
    expect(circlesIn(made), 'import() is lazy: no circle').toEqual([]);
  });
});
