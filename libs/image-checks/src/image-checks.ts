import type Docker from 'dockerode';
import { join } from 'node:path';
import { inspectLocalImage, runContainer } from '@taskforge/engine';
import { CONTENT_KEY_LABEL, IMAGE_TESTS_DIR, imageTestCommand, REQUIRED_LABELS, type ImageProject } from '@taskforge/image-model';

export interface CheckResult {
  name: string;
  passed: boolean;
  detail: string;
}

/**
 * The checks every image must pass, run against the built image: its labels,
 * and, where the definition asks, the user it runs as, its writable
 * workspace, and its own test command (run inside it).
 */
export async function runImageChecks(
  docker: Docker,
  image: ImageProject,
  reference: string,
  contentKey: string,
  print: (line: string) => void,
  workspaceRoot: string,
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const record = (name: string, passed: boolean, detail: string) => {
    results.push({ name, passed, detail });
    print(`${passed ? 'PASS' : 'FAIL'} ${name}: ${detail}`);
  };
  const local = await inspectLocalImage(docker, reference);
  if (!local) {
    record('image present', false, `${reference} is not in the engine; run build-image first`);
    return results;
  }

  const missing = REQUIRED_LABELS.filter((label) => !local.labels[label]);
  record('labels', missing.length === 0, missing.length ? `missing ${missing.join(', ')}` : `${REQUIRED_LABELS.length} required labels set`);
  const version = local.labels['org.opencontainers.image.version'];
  record('version label', version === image.version, `org.opencontainers.image.version=${version ?? 'unset'}, VERSION=${image.version}`);
  const key = local.labels[CONTENT_KEY_LABEL];
  record('content key label', key === contentKey, `${CONTENT_KEY_LABEL}=${key ?? 'unset'}, expected ${contentKey}`);

  const { checks } = image.definition;
  if (checks.user !== undefined) {
    record('numeric USER', local.user === String(checks.user), `image config User="${local.user}", expected "${checks.user}" (runAsNonRoot needs a number)`);
    const id = await runContainer(docker, { image: reference, entrypoint: ['id', '-u'], timeoutMs: 30000 });
    record('process user', id.stdout.trim() === String(checks.user), `a process in the container runs as UID ${id.stdout.trim() || '?'} ${id.stderr.trim()}`.trim());
  }
  if (checks.workspace) {
    const probe = `${checks.workspace}/.image-check-${Date.now()}`;
    const write = await runContainer(docker, {
      image: reference,
      entrypoint: ['sh', '-c', `test -d "$1" && touch "$2" && rm "$2"`, 'check', checks.workspace, probe],
      timeoutMs: 30000,
    });
    record('workspace writable', write.exitCode === 0, `${checks.workspace} ${write.exitCode === 0 ? 'exists and is writable by the image user' : `is missing or not writable (${write.stderr.trim() || `exit ${write.exitCode}`})`}`);
  }
  const command = imageTestCommand(checks);
  if (command) {
    const run = await runContainer(docker, {
      image: reference,
      entrypoint: [],
      cmd: command,
      timeoutMs: 10 * 60 * 1000,
      copyIn: checks.testFiles ? { hostDir: join(workspaceRoot, image.root, checks.testFiles), containerDir: IMAGE_TESTS_DIR } : undefined,
    });
    for (const line of `${run.stdout}${run.stderr}`.split('\n').filter((l) => l.trim())) print(`  ${line}`);
    record('test command', run.exitCode === 0 && !run.timedOut, `\`${command.join(' ')}\` exited ${run.timedOut ? 'after the 10 min limit' : run.exitCode}`);
  }
  return results;
}
