// What a group of test files left running when its last test ended: child processes,
// sockets, servers and timers that keep the process alive. Left alone, one of them kept a
// group's process from ever exiting after all its tests passed, and tap's 600 s limit ended
// it with nothing but "timeout!" to go on. A group file (scripts/group-tests.mjs) notes what
// is alive before it loads its tests and checks at the end: what the tests started and did
// not end fails a test that names it (a child's command line, a socket's address), and is
// then ended so the process can exit.

/** The handles alive now: a snapshot to compare against at the end. */
export function noteAlive() {
  return { handles: new Set(process._getActiveHandles()), timers: countTimers() };
}

/** Ref'd timers only: an unref'd one does not keep the process alive. */
function countTimers() {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

/** A handle in a line a reader can act on. */
export function describeHandle(h) {
  const kind = h?.constructor?.name ?? typeof h;
  if (kind === 'ChildProcess') return `child process ${h.pid}: ${(h.spawnargs ?? []).join(' ').slice(0, 300)}`;
  if (kind === 'Server') {
    const a = h.address?.();
    return `server listening on ${a && typeof a === 'object' ? `${a.address}:${a.port}` : String(a)}`;
  }
  if (kind === 'Socket' || kind === 'Pipe') {
    const fd = h._handle?.fd;
    return `${h.remoteAddress ? `socket to ${h.remoteAddress}:${h.remotePort}` : `stream (${h._handle?.constructor?.name ?? 'closed'}, fd ${fd ?? '?'})`}`;
  }
  return kind;
}

/** Handles started since `before` that keep the process alive (stdio and ref-less ones aside). */
function newHandles(before) {
  return process._getActiveHandles().filter((h) => !before.handles.has(h) && (typeof h.hasRef !== 'function' || h.hasRef()));
}

/**
 * Waits up to `waitMs` for what the tests started to end (a child being reaped, a socket
 * closing); returns what is still there, described. Impure (polls the process's handles).
 */
export async function waitLeftRunning(before, waitMs) {
  const until = Date.now() + waitMs;
  for (;;) {
    const left = whatIsLeft(before);
    if (!left.length || Date.now() >= until) return left;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** What the tests started since `before` that still keeps the process alive, described; empty when nothing. */
function whatIsLeft(before) {
  const timers = countTimers() - before.timers;
  return [...newHandles(before).map(describeHandle), ...(timers > 0 ? [`${timers} timer(s) still set`] : [])];
}

/**
 * Ends what is left: children killed, sockets and servers closed. A timer cannot be reached
 * from here: should one still hold the process, it exits (failed) five seconds later rather
 * than wait for tap's limit. Impure.
 */
export function endLeftRunning(before) {
  setTimeout(() => {
    process.stderr.write(`# what the tests left running still held the process 5 s after it was ended: ${whatIsLeft(before).join('; ') || 'nothing named'}\n`);
    process.exit(1);
  }, 5000).unref();
  for (const h of newHandles(before)) {
    try {
      if (h?.constructor?.name === 'ChildProcess') {
        h.kill('SIGKILL');
        for (const s of h.stdio ?? []) s?.destroy?.();
      } else if (typeof h.destroy === 'function') h.destroy();
      else if (typeof h.close === 'function') h.close();
      else if (typeof h.unref === 'function') h.unref();
    } catch {
      /* ending what is left is best effort: the failure is already reported */
    }
  }
}

/**
 * For a test file in a process of its own, where a last test would run before the file's
 * own root-level teardowns (and break a `t.plan`): a root teardown added after the file's
 * own (so it runs after them, once every test is done; tap's root 'end' comes only when the
 * process is about to exit, which a leftover prevents) waits up to `waitMs` for what the tests
 * started to end, without keeping the process alive itself. Should something still hold the
 * process then, it is named on stderr, ended, and the process exits 1 — failed, within
 * seconds, instead of at tap's 600 s limit with nothing but "timeout!". Impure.
 */
export function watchAfterEnd(t, before, waitMs) {
  t.teardown(() => {
    const until = Date.now() + waitMs;
    const poll = () => {
      const left = whatIsLeft(before);
      if (!left.length) return;
      if (Date.now() < until) {
        setTimeout(poll, 100).unref();
        return;
      }
      process.stderr.write(`# the tests left running ${waitMs / 1000} s after their end: ${left.join('; ')}\n`);
      endLeftRunning(before);
      process.exit(1);
    };
    setTimeout(poll, 100).unref();
  });
}
