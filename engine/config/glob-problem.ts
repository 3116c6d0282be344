/**
 * What is wrong with a repo-relative glob of a policy or task (picomatch syntax), or null. A
 * new user's probe: `allowed_roots: ["!"]` allowed every path (a leading `!` negates in
 * picomatch, so `!` alone matches all), and `"["` or `"src/**{"` passed `validate` and matched
 * nothing (an unclosed bracket or brace is read literally). Pure.
 */
export function globProblem(glob: string): string | null {
  if (glob.trim() === '') return 'an empty glob matches no path';
  // Paths are repo-relative ("src/a.ts"): an absolute glob or one leaving the repo matches none
  // (a policy allowing only "/abs/src/**" stopped every milestone, and every resume of it).
  if (glob.startsWith('/') || glob.split('/').includes('..')) return 'paths are repo-relative: an absolute glob or one with `..` matches no path (drop the leading / or ..)';
  if (glob.startsWith('!')) return 'a leading `!` negates in picomatch (`!x` matches every path that is not x, `!` alone every path): list the paths that are meant instead';
  let square = false;
  let braces = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (square) {
      if (c === ']') square = false;
      continue;
    }
    if (c === '[') square = true;
    else if (c === '{') braces++;
    else if (c === '}') braces = Math.max(0, braces - 1);
  }
  if (square) return 'an unclosed `[`: picomatch reads it as text, so the glob matches no path (escape it as `\\[` to mean the character)';
  if (braces > 0) return 'an unclosed `{`: picomatch reads it as text, so the glob matches no path (escape it as `\\{` to mean the character)';
  return null;
}
