/**
 * JSON that a worker, a model or a file a worker could write holds, parsed with a limit on
 * how deep it nests. V8's JSON.parse takes any depth, but the engine's walks over a value
 * (JSON.stringify, the transcript's size estimate, redaction, canonical JSON) recurse, and a
 * line of ten thousand brackets would exhaust their stack: a crash any worker could cause.
 */

/**
 * How deep such a value may nest: far past any real event, request, recording or markers
 * block (tens of levels), and far below what a recursive walk can take.
 */
export const MAX_JSON_DEPTH = 256;

const TOO_DEEP = 'JSON nested deeper than';

/**
 * JSON.parse, which also throws a SyntaxError for a value nested deeper than `maxDepth`
 * (arrays and objects), so that every caller's handling of text that is not JSON applies. Pure.
 */
export function parseJson(text: string, maxDepth = MAX_JSON_DEPTH): unknown {
  const value: unknown = JSON.parse(text);
  // Each level takes at least one character: a shorter text cannot be too deep.
  if (text.length > maxDepth && depthOver(value, maxDepth)) throw new SyntaxError(`${TOO_DEEP} ${maxDepth} levels`);
  return value;
}

/** Whether a parsed value nests arrays and objects deeper than `max`, walked without recursion. Pure. */
export function depthOver(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth + 1 > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
  }
  return false;
}

/**
 * Why parseJson refused a text, in words that quote none of it: V8's message quotes the
 * text's start (`Unexpected token 'P', "PRIVATE KE"... is not valid JSON`), and a file read
 * as a record may be a file of the user's (a hard link a worker put there). "not JSON", with
 * where when V8 says, or the depth limit's own words. Pure.
 */
export function describeJsonError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (message.startsWith(TOO_DEEP)) return message;
  const at = /\bposition (\d+)/.exec(message);
  return at ? `not JSON (at byte ${at[1]})` : 'not JSON';
}
