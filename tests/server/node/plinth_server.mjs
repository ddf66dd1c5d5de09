// Starts `plinth serve` for the Node client tests: shared by every client's test file.
//
// Env: PLINTH_CLI (default build/bin/plinth), PLINTH_SHARED_DIR (default ../shared from the repo root).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const cli = path.resolve(process.env.PLINTH_CLI ?? path.join(repoRoot, 'build/bin/plinth'));
export const shared = path.resolve(process.env.PLINTH_SHARED_DIR ?? path.join(repoRoot, '../shared'));
export const modelFile = path.join(shared, 'models/stories260K.gguf');
export const STARTUP_MS = 30_000;
export const PROMPT = 'Once upon a time';

// Starts `plinth serve` (on `model`, stories260K by default) and resolves with {url, stop} once it prints its `listening on` line.
// Rejects (never hangs) if the process cannot start, exits first, or stays silent for STARTUP_MS.
export function startServer(extraArgs = [], model = modelFile) {
  const args = ['serve', '-m', model, '--port', '0', '--parallel', '4', ...extraArgs];
  const child = spawn(cli, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000); });  // kept for error messages
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let stopping = false;
  const stop = async () => {
    stopping = true;
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;  // never ran, or gone
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    let failed = false;
    const fail = (why) => {
      if (failed) return;  // killing it on a timeout also fires 'exit': report the first cause
      failed = true;
      clearTimeout(timer);
      stop().finally(() => reject(new Error(`${cli} ${args.join(' ')}: ${why}\n--- stderr (tail) ---\n${stderr}`)));
    };
    const timer = setTimeout(() => fail(`no "listening on" line within ${STARTUP_MS / 1000} s`), STARTUP_MS);
    const onError = (e) => fail(e.message);  // e.g. ENOENT: binary not built
    const onExit = (code, sig) => fail(`exited (code ${code}, signal ${sig}) before listening`);
    child.once('error', onError);
    child.once('exit', onExit);
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/^listening on (http:\/\/\S+)\r?\n/m);  // whole line: not a port cut in two
      if (!m) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      child.off('error', onError);
      child.stdout.removeAllListeners('data');
      child.stdout.resume();  // keep draining so a full pipe never blocks the server
      child.once('exit', (code, sig) => {  // a crash mid-test: show why next to the failures
        if (!stopping) console.error(`plinth serve died (code ${code}, signal ${sig}); stderr tail:\n${stderr}`);
      });
      resolve({ url: m[1], stop });
    });
  });
}

