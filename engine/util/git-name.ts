/**
 * Whether git would take a name for nothing: it strips the characters it calls crud (controls,
 * space, and . , : ; < > " \ ') from both ends of a name and refuses an empty one ("name
 * consists only of disallowed characters"). `git.author: ". <a@b>"` passed the schema, and
 * the first checkpoint, after the worker had worked, ended the run with exit 70. Pure.
 */
export function onlyCrud(name: string): boolean {
  return /^[\x00-\x20.,:;<>"\\']*$/.test(name);
}
