import { Worker } from 'node:worker_threads';

/**
 * The CycloneDX library's strict JSON validator for 1.6, run in a worker
 * thread. Compiling the 1.6 schema costs seconds of CPU, once per process; in
 * a thread it runs while the image is being read instead of after it, and the
 * caller's event loop keeps serving the engine meanwhile.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { Spec, Validation } = require(workerData.library);
const validator = new Validation.JsonStrictValidator(Spec.Version.v1dot6);
// Compile now; every validation waits for it (two at once would each compile the schema).
const compiled = validator.validate('{}').catch(() => undefined);
parentPort.on('message', ({ id, json }) => {
  compiled
    .then(() => validator.validate(json))
    .then((errors) => parentPort.postMessage({ id, errors }), (error) => parentPort.postMessage({ id, failure: String((error && error.message) || error) }));
});
`;

interface Pending {
  resolve: (errors: unknown[] | null) => void;
  reject: (error: Error) => void;
}

interface ValidatorThread {
  worker: Worker;
  pending: Map<number, Pending>;
  next: number;
}

let thread: ValidatorThread | undefined;

function failAll(current: ValidatorThread, error: Error): void {
  if (thread === current) thread = undefined;
  for (const pending of current.pending.values()) pending.reject(error);
  current.pending.clear();
}

/** Starts compiling the schema in the background, unless a thread already has. */
export function startSchemaValidator(): void {
  if (thread) return;
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { library: require.resolve('@cyclonedx/cyclonedx-library') } });
  const current: ValidatorThread = { worker, pending: new Map(), next: 0 };
  // An idle validator must not keep the process alive; one with work to do must.
  worker.unref();
  worker.on('message', ({ id, errors, failure }: { id: number; errors?: unknown[] | null; failure?: string }) => {
    const pending = current.pending.get(id);
    current.pending.delete(id);
    if (current.pending.size === 0) worker.unref();
    if (failure !== undefined) pending?.reject(new Error(`the CycloneDX validator failed: ${failure}`));
    else pending?.resolve(errors ?? null);
  });
  worker.on('error', (error) => failAll(current, error));
  worker.on('exit', (code) => failAll(current, new Error(`the CycloneDX validator thread exited (code ${code})`)));
  thread = current;
}

/** The schema errors of a JSON document (null when it is valid CycloneDX 1.6). */
export function schemaErrors(json: string): Promise<unknown[] | null> {
  startSchemaValidator();
  const current = thread!;
  const id = current.next++;
  return new Promise((resolve, reject) => {
    current.pending.set(id, { resolve, reject });
    current.worker.ref();
    current.worker.postMessage({ id, json });
  });
}

/** Ends the validator thread (tests, and callers that want no thread left behind). */
export async function stopSchemaValidator(): Promise<void> {
  const current = thread;
  thread = undefined;
  if (current) await current.worker.terminate();
}
