import { inflateSync } from 'node:zlib';

/** git's base85 alphabet (base85.c). */
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~';
const VALUE = new Map([...ALPHABET].map((c, i) => [c, i]));

/**
 * The bytes of one `literal`/`delta` block of a `GIT binary patch`: its lines decoded from
 * base85 (the first character of each says how many bytes it holds: A–Z 1–26, a–z 27–52),
 * then inflated. Null when the block is not whole or not git's (a patch cut at its cap). Pure.
 */
export function decodeBinaryBlock(lines: readonly string[]): Buffer | null {
  const parts: Buffer[] = [];
  for (const line of lines) {
    const c = line.charCodeAt(0);
    const len = c >= 65 && c <= 90 ? c - 64 : c >= 97 && c <= 122 ? c - 96 + 26 : -1;
    const body = line.slice(1);
    if (len < 0 || body.length % 5 !== 0 || body.length / 5 < Math.ceil(len / 4)) return null;
    const out = Buffer.alloc(body.length / 5 * 4);
    for (let i = 0; i < body.length; i += 5) {
      let v = 0;
      for (let j = 0; j < 5; j++) {
        const d = VALUE.get(body[i + j]!);
        if (d === undefined) return null;
        v = v * 85 + d;
      }
      if (v > 0xffffffff) return null;
      out.writeUInt32BE(v, (i / 5) * 4);
    }
    parts.push(out.subarray(0, len));
  }
  try {
    return inflateSync(Buffer.concat(parts));
  } catch {
    return null;
  }
}

/**
 * A patch's text (latin1: one character a byte) with each `GIT binary patch` whose content
 * holds one of `values`, or cannot be read whole, replaced by a line saying so: a binary
 * change is written compressed, where no search of the text finds a secret. Pure.
 */
export function dropSecretBinaries(text: string, values: readonly { name: string; value: Buffer }[]): string {
  return text.replace(/GIT binary patch\n((?:(?:literal|delta) \d+\n(?:[A-Za-z][^\n]*\n)*\n?)+)/g, (whole, blocks: string) => {
    const names = new Set<string>();
    let unreadable = false;
    for (const block of blocks.split(/^(?=(?:literal|delta) \d+$)/m)) {
      const lines = block.split('\n').slice(1).filter((l) => l !== '');
      const data = decodeBinaryBlock(lines);
      if (data === null) unreadable = true;
      else for (const v of values) if (data.includes(v.value)) names.add(v.name);
    }
    if (names.size) return `# engine: a binary change left out: it holds the value of ${[...names].sort().join(', ')}\n\n`;
    return unreadable ? '# engine: a binary change left out: it could not be read whole to search it for secrets\n\n' : whole;
  });
}
