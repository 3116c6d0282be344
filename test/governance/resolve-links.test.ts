import t from 'tap';
import { nameThroughLinks, resolvePath } from '../../engine/governance/resolve-links.js';

t.test('a path resolved through the links on its way, as the kernel resolves it', async (t) => {
  const links = new Map([['.github', 'ci'], ['ci/up', '..'], ['a', 'b'], ['b/c', '../d'], ['loop', 'loop'], ['abs', '/etc']]);
  t.equal(resolvePath('.github/workflows/x.yml', links), 'ci/workflows/x.yml');
  t.equal(resolvePath('ci/up/README.md', links), 'README.md');
  t.equal(resolvePath('a/c/x', links), 'd/x', 'a chain: a, then b/c');
  t.equal(resolvePath('src/plain.ts', links), 'src/plain.ts');
  t.equal(resolvePath('loop/x', links), null, 'a loop resolves nowhere');
  t.equal(resolvePath('abs/passwd', links), null, 'nor an absolute target');
  t.equal(resolvePath('../x', links), null, 'nor a path that leaves');
});

t.test('the other names a path has through the links: where a checkout puts it', async (t) => {
  const namesOf = nameThroughLinks(new Map([['.github', 'ci']]));
  t.same(namesOf('ci/workflows/evil.yml'), { names: ['.github/workflows/evil.yml'], complete: true });
  t.same(namesOf('src/a.ts'), { names: [], complete: true });
  t.same(namesOf('circle/x'), { names: [], complete: true }, 'a folder whose name only begins like the target');
  t.same(nameThroughLinks(new Map([['conf/prod.yml', '../mine.yml']]))('mine.yml').names, ['conf/prod.yml'], 'a link to a file names the file');
  t.same(nameThroughLinks(new Map([['a', 'b'], ['b/c', '../d']]))('d/x').names, ['b/c/x', 'a/c/x'], 'through a chain');
  t.same(nameThroughLinks(new Map())('x'), { names: [], complete: true });
  t.same(nameThroughLinks(new Map([['bad', '../../out']]))('x').names, [], 'a link that leads nowhere names nothing');
});

t.test("a link to a folder above itself names nothing; links into each other's folders stop at max names", async (t) => {
  t.same(nameThroughLinks(new Map([['here', '.'], ['src/up', '..'], ['b/x', '../b']]))('src/a.ts'), { names: [], complete: true });
  // a/c leads to b and b/d to a: b/q is a/c/q, b/d/c/q, a/c/d/c/q, … without end.
  const got = nameThroughLinks(new Map([['a/c', '../b'], ['b/d', '../a']]), 4)('b/q');
  t.same(got, { names: ['a/c/q', 'b/d/c/q', 'a/c/d/c/q'], complete: false });
});
