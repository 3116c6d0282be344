import { makeFixture, engine } from './helpers/run-fixture.js';
const f = makeFixture({ script: { plan: [{id:'m1',goal:'write a',files_expected:['src/a.txt']},{id:'m2',goal:'write b',files_expected:['src/b.txt']}], implement: {'1':{'src/a.txt':'alpha\n'},'2':{'src/b.txt':'beta\n'}}, garbage: {'implement#2#1': 1} } as any });
const r = engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', 'r1', '--no-progress'], { cwd: f.dir });
console.log(r.code, r.stderr.slice(0,500), f.repo);
