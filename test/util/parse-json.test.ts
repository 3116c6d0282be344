import t from 'tap';
import { depthOver, describeJsonError, MAX_JSON_DEPTH, parseJson } from '../../engine/util/parse-json.js';

// A worker's JSON nested ten thousand deep parsed fine and then crashed the engine's first
// recursive walk over it (the transcript's size estimate, JSON.stringify): such a value is
// refused as a SyntaxError, which every caller already handles as text that is not JSON.

const nested = (n: number, open = '[', close = ']') => `${open.repeat(n)}${close.repeat(n)}`;

t.test('JSON within the depth parses as JSON.parse does', async (t) => {
  t.same(parseJson('{"a":[1,{"b":null}],"c":"[[[["}'), { a: [1, { b: null }], c: '[[[[' });
  t.same(parseJson(nested(MAX_JSON_DEPTH)), JSON.parse(nested(MAX_JSON_DEPTH)), `${MAX_JSON_DEPTH} levels: the limit itself`);
  t.equal(parseJson('"' + '['.repeat(5000) + '"'), '['.repeat(5000), 'brackets in a string are no depth');
  t.throws(() => parseJson('{bad'), SyntaxError, 'what is not JSON throws as before');
});

t.test('deeper than the limit throws a SyntaxError, arrays and objects alike', async (t) => {
  for (const text of [nested(MAX_JSON_DEPTH + 1), nested(20_000), `{"x":${nested(5000)}}`, '{"a":'.repeat(300) + '1' + '}'.repeat(300), `[1,2,{"deep":${nested(400)}}]`]) {
    t.throws(() => parseJson(text), { name: 'SyntaxError', message: `JSON nested deeper than ${MAX_JSON_DEPTH} levels` }, `${text.slice(0, 12)}… (${text.length} chars)`);
  }
  t.throws(() => parseJson(nested(5), 4), { name: 'SyntaxError', message: 'JSON nested deeper than 4 levels' }, 'a limit of its own');
  t.same(parseJson(nested(4), 4), JSON.parse(nested(4)));
});

t.test('the depth walk needs no stack of its own', async (t) => {
  let deep: unknown = [];
  for (let i = 0; i < 1_000_000; i++) deep = [deep];
  t.equal(depthOver(deep, 1000), true, 'a million levels: found without recursion');
  t.equal(depthOver({ a: [{ b: [] }] }, 4), false);
  t.equal(depthOver({ a: [{ b: [] }] }, 3), true);
  t.equal(depthOver('text', 0), false, 'a scalar has no depth');
});

t.test("a parse error in words that quote none of the text (V8's message quotes its start)", async (t) => {
  const caught = (text: string) => {
    try {
      parseJson(text);
    } catch (error) {
      return describeJsonError(error);
    }
    return null;
  };
  for (const text of ['PRIVATE KEY 5ecr3t\n', '{"a": PRIVATE}', '{"a":"PRIVATE', 'root:x:0:0:root:/root:/bin/bash']) {
    const said = caught(text);
    t.match(said, /^not JSON( \(at byte \d+\))?$/, JSON.stringify(text));
    t.notMatch(said, /PRIVATE|root/);
  }
  t.equal(caught(nested(MAX_JSON_DEPTH + 1)), `JSON nested deeper than ${MAX_JSON_DEPTH} levels`, 'the depth limit keeps its words');
});
