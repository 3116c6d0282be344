import t from 'tap';
import { checkPlannedPaths } from '../../engine/governance/check-plan.js';
import { describeViolation, stopFor } from '../../engine/governance/check-changes.js';

const rules = { allowedRoots: ['**'], taskRoots: ['src/**', 'test/**'], protected: ['.git/**', '.engine/**', 'secrets/**'] };

t.test('planned paths no worker may change, each with why', async (t) => {
  const cases: [string, string | null][] = [
    ['src/a.js', null],
    ['./src/b.js', null],
    ['test/a.test.js', null],
    ['/etc/passwd', 'an absolute path'],
    ['C:/Windows/x', 'an absolute path'],
    ['../escape.txt', 'leaves the repository'],
    ['src/../../up.txt', 'leaves the repository'],
    ['..', 'leaves the repository'],
    ['.git/config', 'protected: .git/**'],
    ['.engine/policy.yaml', 'protected: .engine/**'],
    ['docs/x.md', 'outside the allowed roots'],
    ['src\\..\\..\\win.txt', 'leaves the repository'],
  ];
  for (const [p, why] of cases) {
    const v = checkPlannedPaths([p], rules);
    if (why === null) t.same(v, [], `${p} is fine`);
    else t.same(v, [{ path: p, rule: 'planned_outside_roots', pattern: why }], `${p}: ${why}`);
  }
});

t.test('the policy roots count as well as the task roots; one violation per path, sorted', async (t) => {
  const v = checkPlannedPaths(['lib/x.js', 'src/a.js', 'lib/x.js', 'docs/y.md'], { allowedRoots: ['src/**', 'docs/**'], taskRoots: null, protected: [] });
  t.same(v.map((x) => x.path), ['lib/x.js']);
  t.same(checkPlannedPaths(['a.js'], { allowedRoots: [], taskRoots: null, protected: [] }).length, 1, 'no roots: nothing may be planned');
  t.equal(stopFor(v), 'governance_violation', 'never taken for a framework fix');
  t.equal(describeViolation(v[0]!), 'lib/x.js: planned although no worker may change it (outside the allowed roots)');
});
