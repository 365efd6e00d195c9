import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

// Folders of lib/ must not import each other in a cycle (static, dynamic and re-exports alike): a
// cycle means neither side can be understood, tested or bundled without the other.

const LIB = resolve(__dirname, '../../lib');

/** Cycles allowed for now, each as its sorted folder names joined by `<->` (none). */
const ALLOWED = new Set<string>();

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** A file's unit: its folder under lib/, or the file itself for lib/*.ts (`config`, `errors`...). */
const unitOf = (file: string) => {
  const [first, ...rest] = relative(LIB, file).split(sep);
  return rest.length > 0 ? (first as string) : (first as string).replace(/\.ts$/, '');
};

const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"](\.[^'"]+)['"]/g;

function graph(): Map<string, Map<string, string>> {
  const edges = new Map<string, Map<string, string>>();
  for (const file of files(LIB)) {
    const from = unitOf(file);
    for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const target = resolve(dirname(file), (m[1] as string).replace(/\.js$/, '.ts'));
      if (!target.startsWith(LIB + sep)) continue;
      const to = unitOf(target);
      if (to === from) continue;
      if (!edges.has(from)) edges.set(from, new Map());
      // One example import per edge, to name it in a failure.
      edges.get(from)?.set(to, `${relative(LIB, file)} -> ${m[1]}`);
    }
  }
  return edges;
}

/** Strongly connected components with more than one unit (Tarjan). */
function cycles(edges: Map<string, Map<string, string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const out: string[][] = [];
  let i = 0;
  const visit = (v: string) => {
    index.set(v, i);
    low.set(v, i++);
    stack.push(v);
    for (const w of edges.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (stack.includes(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string | undefined;
      do {
        w = stack.pop();
        if (w !== undefined) scc.push(w);
      } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  return out;
}

describe('lib/ architecture', () => {
  it('reads the imports it checks (a known edge is found)', () => {
    // Act
    const edges = graph();

    // Assess: the parser sees real imports, so an empty result below means something.
    expect(edges.get('store')?.has('aws')).toBe(true);
  });

  it('has no import cycle between lib/ folders, but those allowed for now', () => {
    // Act
    const edges = graph();
    const found = cycles(edges).map((scc) => ({
      cycle: scc.join('<->'),
      imports: scc.flatMap((a) => scc.flatMap((b) => edges.get(a)?.get(b) ?? [])),
    }));

    // Assess
    expect(found.filter((c) => !ALLOWED.has(c.cycle))).toEqual([]);
  });

  it('finds a cycle when there is one (the check can fail)', () => {
    // Prepare
    const edges = new Map([
      ['a', new Map([['b', 'x']])],
      ['b', new Map([['c', 'y']])],
      ['c', new Map([['a', 'z']])],
    ]);

    // Act
    const found = cycles(edges);

    // Assess
    expect(found).toEqual([['a', 'b', 'c']]);
  });
});
