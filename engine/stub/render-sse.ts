/** One server-sent event. */
export interface SseEvent {
  event: string;
  data: unknown;
}

/** Serialize events as a text/event-stream body. Pure. */
export function formatSse(events: readonly SseEvent[]): string {
  return events.map((e) => `event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`).join('');
}

/** Split a text into chunks for streaming deltas (code points are never split). Pure. */
export function chunkText(text: string, size = 64): string[] {
  const chars = Array.from(text);
  const chunks: string[] = [];
  for (let i = 0; i < chars.length; i += size) chunks.push(chars.slice(i, i + size).join(''));
  return chunks;
}

/** A rough token count (4 characters a token) for the usage the CLIs expect. Pure. */
export function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}
