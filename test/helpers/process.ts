import { readdirSync, readFileSync } from 'node:fs';

/** Whether a process with this pid exists (signal 0 checks without sending anything). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * SIGSTOP, then waits (bounded) until every thread of the process is stopped. kill() returns before
 * a multi-threaded process has stopped: a thread busy on the other core runs on until the signal
 * reaches it, and can still answer a request sent in that window.
 */
export async function freezeProcess(pid: number): Promise<void> {
  process.kill(pid, 'SIGSTOP');
  const stopped = (): boolean =>
    readdirSync(`/proc/${pid}/task`).every((task) => {
      try {
        // The state is the field after the ")" that ends the command name.
        const stat = readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8');
        return stat.slice(stat.lastIndexOf(')') + 2).startsWith('T');
      } catch {
        return true; // the thread has gone
      }
    });
  for (let i = 0; i < 500; i++) {
    if (stopped()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`process ${pid} did not stop within 5 s of SIGSTOP`);
}
