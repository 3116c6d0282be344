import t from 'tap';
import { createHash } from 'node:crypto';
import { sha256Hex } from '../../engine/util/sha256-hex.js';

// The one-shot hash gives what a Hash object gives, for text (as UTF-8) and for bytes.
t.test('sha256Hex equals createHash for text and bytes', async (t) => {
  for (const text of ['', 'abc', 'é日本 «»', 'x'.repeat(100_000)]) {
    t.equal(sha256Hex(text), createHash('sha256').update(text).digest('hex'), `text of ${text.length} characters`);
    const bytes = Buffer.from(text);
    t.equal(sha256Hex(bytes), createHash('sha256').update(bytes).digest('hex'), `${bytes.length} bytes`);
  }
});
