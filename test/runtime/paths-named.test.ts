import t from 'tap';
import { pathsNamedBy } from '../../engine/runtime/open-runtime.js';

// Under the OS sandbox /tmp and /run are private: what a pipeline's workers name there is
// brought back read-only. A file's whole directory was: SSH_AUTH_SOCK named as
// /run/user/<uid>/ssh-agent.socket brought back every socket of the user's session beside it
// (its bus, systemd's), and a read-only mount does not stop a connect().
t.test('a named path is brought back alone, not with its folder', async (t) => {
  const ir = {
    workers: {
      w: {
        bin: '/opt/agent/bin/agent',
        args: ['/tmp/d/script.sh', '/tmp/notes.txt', '/run/user/1000/ssh-agent.socket'],
        env: { SOCK: '/run/user/1000/bus', SHM: '/dev/shm/x' },
      },
    },
  } as unknown as Parameters<typeof pathsNamedBy>[0];
  t.same(pathsNamedBy(ir).sort(), ['/dev/shm/x', '/opt/agent/bin/agent', '/run/user/1000/bus', '/run/user/1000/ssh-agent.socket', '/tmp/d/script.sh', '/tmp/notes.txt']);
});
