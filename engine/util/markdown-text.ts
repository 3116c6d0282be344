/**
 * Text a worker wrote, for a line of Markdown the engine writes (summary.md, memo.md): the
 * characters that would make it live markup — a link or image (`[`, `]`), HTML or an
 * autolink (`<`) and the escape itself (`\`) — each escaped with a backslash, so a viewer
 * that renders the file (a CI job's summary page, a code host, an editor's preview) shows it
 * as the text it is. Rendered, an image a planner put in a milestone goal was fetched from its
 * server by whoever looked. Code spans (backticks) stay: nothing in one is live. Pure.
 */
export function markdownText(text: string): string {
  return text.replace(/[\\<[\]]/g, '\\$&');
}

/**
 * Worker text as a Markdown code span, or as markdownText when it holds a backtick (which
 * would end the span and leave the rest live) or a line break. Pure.
 */
export function markdownCode(text: string): string {
  return /[`\r\n]/.test(text) ? markdownText(text) : `\`${text}\``;
}

/** markdownText undone, for a terminal that shows the Markdown as text (render-terminal.ts). Pure. */
export function unescapeMarkdownText(text: string): string {
  return text.replace(/\\([\\<[\]])/g, '$1');
}
